using Kybernet.Cni.Protocol;
using Kybernet.Linux;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Netlink;

namespace Kybernet.Cni.Plugins.Loopback;

/// <summary>kybernet-loopback: brings up "lo" in the container (CNI_IFNAME is ignored, as by the reference).</summary>
public sealed class LoopbackPlugin : ICniPlugin
{
    public string Name => "kybernet-loopback";

    public CniResult Add(CniRequest request)
    {
        var netns = request.Environment.Netns!;
        using var ns = Open(netns);
        using var nl = RtNetlink.Open(ns);
        nl.Links.SetUp("lo");
        return new CniResult
        {
            Interfaces = [new CniInterface("lo") { Mac = "00:00:00:00:00:00", Sandbox = netns }],
            Ips =
            [
                new CniIp(InterfaceAddress.Parse("127.0.0.1/8")) { Interface = 0 },
                new CniIp(InterfaceAddress.Parse("::1/128")) { Interface = 0 },
            ],
        };
    }

    public void Del(CniRequest request)
    {
        if (request.Environment.Netns is not { } netns || !File.Exists(netns))
            return;
        using var ns = NetworkNamespace.OpenPath(netns);
        using var nl = RtNetlink.Open(ns);
        nl.Links.SetDown("lo");
    }

    public void Check(CniRequest request)
    {
        using var ns = Open(request.Environment.Netns!);
        using var nl = RtNetlink.Open(ns);
        if (!nl.Links.Get("lo").IsUp)
            throw new CniException(CniErrorCode.KernelFailure, $"lo is down in {request.Environment.Netns}");
    }

    private static NetworkNamespace Open(string netns)
    {
        try { return NetworkNamespace.OpenPath(netns); }
        catch (LinuxException e) when (e.ErrorName is "ENOENT")
        {
            throw new CniException(CniErrorCode.UnknownContainer, $"failed to open netns \"{netns}\": it does not exist");
        }
    }
}
