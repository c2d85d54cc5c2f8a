using Kybernet.Linux.Namespaces;

namespace Kybernet.Linux.Netlink;

/// <summary>
/// rtnetlink spoken natively for one namespace: links, addresses, routes, neighbours and FDB entries.
/// <code>using var nl = RtNetlink.Open(ns); nl.Links.SetUp("eth0");</code>
/// Calls are synchronous and safe from any thread (one request at a time per connection).
/// </summary>
public sealed class RtNetlink : IDisposable
{
    private readonly NetlinkSocket _socket;

    private RtNetlink(NetlinkSocket socket)
    {
        _socket = socket;
        Links = new Links(socket);
        Addresses = new Addresses(socket, Links);
        Routes = new Routes(socket, Links);
        Neighbours = new Neighbours(socket, Links);
        Fdb = new BridgeFdb(socket, Links);
    }

    /// <summary>Talks to <paramref name="ns"/>, or to the caller's own namespace when null.</summary>
    public static RtNetlink Open(NetworkNamespace? ns = null) => new(NetlinkSocket.Open(ns));

    public Links Links { get; }
    public Addresses Addresses { get; }
    public Routes Routes { get; }
    public Neighbours Neighbours { get; }
    public BridgeFdb Fdb { get; }

    public void Dispose() => _socket.Dispose();
}
