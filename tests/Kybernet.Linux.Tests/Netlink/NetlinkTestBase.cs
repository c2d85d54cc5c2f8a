using Kybernet.Linux.Netlink;

namespace Kybernet.Linux.Tests.Netlink;

/// <summary>A throwaway namespace and an rtnetlink connection to it, for tests that build links inside.</summary>
public abstract class NetlinkTestBase : IDisposable
{
    protected NetlinkTestBase() => Nl = RtNetlink.Open(Ns);

    protected TestNamespace Ns { get; } = new();
    protected RtNetlink Nl { get; }

    public void Dispose()
    {
        Nl.Dispose();
        Ns.Dispose();
        GC.SuppressFinalize(this);
    }
}
