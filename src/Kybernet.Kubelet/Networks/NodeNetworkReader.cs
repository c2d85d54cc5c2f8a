using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Kybernet.Kubelet.Cri.V1;
using Kybernet.Kubelet.Pods;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Netlink;

namespace Kybernet.Kubelet.Networks;

/// <summary>
/// Reads a node's pod networks as the kernel and the runtime have them (never the API): the ready sandboxes from CRI
/// with their pids and network namespace paths (the runtime's verbose status), each namespace's interfaces,
/// addresses and routes over netlink, a veth's peer and its bridge in the node's namespace, and which containers
/// share the sandbox's network and pid namespaces (their /proc/PID/ns links compared).
/// </summary>
public sealed class NodeNetworkReader(CriRuntime runtime, NetworkNamespace? nodeNamespace, string bridge = "cni0")
{
    public async Task<IReadOnlyList<PodNetwork>> PodsAsync(CancellationToken ct)
    {
        var sandboxes = (await runtime.ListSandboxesAsync(null, ct)).Where(s => s.State == PodSandboxState.SandboxReady).ToList();
        var containers = await runtime.ListContainersAsync(null, ct);
        IReadOnlyDictionary<int, LinkInfo> nodeLinks;
        using (var node = RtNetlink.Open(nodeNamespace))
            nodeLinks = node.Links.List().ToDictionary(l => l.Index);
        var pods = new List<PodNetwork>();
        foreach (var sandbox in sandboxes)
        {
            if (await runtime.SandboxDetailsAsync(sandbox.Id, ct) is not { Status: { } status } details)
                continue;
            var (pid, netnsPath) = Details(details);
            var options = status.Linux?.Namespaces?.Options;
            var mode = options?.Network == NamespaceMode.Node ? NetworkMode.Host : NetworkMode.Bridge;
            var members = new List<PodContainerNetwork>();
            foreach (var c in containers.Where(c => c.PodSandboxId == sandbox.Id && c.State == ContainerState.ContainerRunning).OrderBy(c => c.Metadata?.Name))
            {
                var containerPid = await runtime.ContainerPidAsync(c.Id, ct);
                members.Add(new PodContainerNetwork(c.Metadata?.Name ?? c.Id, c.Id, containerPid,
                    SameNamespace(containerPid, pid, "net"), SameNamespace(containerPid, pid, "pid")));
            }
            var (interfaces, routes) = mode == NetworkMode.Host || netnsPath is null || !File.Exists(netnsPath)
                ? ([], [])
                : Inside(netnsPath, nodeLinks);
            pods.Add(new PodNetwork(status.Metadata?.Namespace ?? "", status.Metadata?.Name ?? sandbox.Id, sandbox.Id, mode,
                IPAddress.TryParse(status.Network?.Ip, out var ip) ? ip : null, pid, mode == NetworkMode.Host ? null : netnsPath,
                options?.Pid == NamespaceMode.Pod, members, interfaces, routes));
        }
        return pods.OrderBy(p => p.Namespace).ThenBy(p => p.Name).ToList();
    }

    /// <summary>The node's networks, like `docker network ls`: bridge (cni0's subnet and gateway), host, none, container.</summary>
    public IReadOnlyList<NodeNetwork> Networks(IReadOnlyList<PodNetwork> pods)
    {
        using var node = RtNetlink.Open(nodeNamespace);
        var gateway = node.Links.Find(bridge) is null ? null
            : node.Addresses.List(bridge, AddressFamily.InterNetwork).Select(a => (InterfaceAddress?)a.Address).FirstOrDefault();
        var subnet = gateway is { } g ? Subnet(g) : "-";
        static IReadOnlyList<string> Named(IEnumerable<PodNetwork> list) => list.Select(p => p.FullName).ToList();
        return
        [
            new("bridge", "kybernet-bridge", subnet, gateway?.Address.ToString() ?? "-", Named(pods.Where(p => p.Mode == NetworkMode.Bridge))),
            new("host", "host", "-", "-", Named(pods.Where(p => p.Mode == NetworkMode.Host))),
            // Docker's none (loopback only) cannot be had through containerd, which refuses a pod sandbox whose CNI result
            // has no eth0 address: the network is shown, as `docker network ls` shows it, and holds no pod.
            new("none", "null", "-", "-", []),
            // Container mode: containers that joined the sandbox's namespace; shown where a pod has more than one.
            new("container", "container", "-", "-", pods.Where(p => p.Containers.Count(c => c.SharesNetwork) > 1)
                .Select(p => $"{p.FullName} ({string.Join(", ", p.Containers.Where(c => c.SharesNetwork).Select(c => c.Name))})").ToList()),
        ];
    }

    /// <summary>The network an interface address is in: its host bits cleared.</summary>
    private static string Subnet(InterfaceAddress address)
    {
        var bytes = address.Address.GetAddressBytes();
        for (var bit = address.PrefixLength; bit < bytes.Length * 8; bit++)
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        return $"{new IPAddress(bytes)}/{address.PrefixLength}";
    }

    /// <summary>The sandbox's pid and network namespace path, from the runtime's verbose info (containerd: info.pid, info.runtimeSpec).</summary>
    private static (int? Pid, string? NetnsPath) Details(PodSandboxStatusResponse details)
    {
        if (CriRuntime.VerboseInfo(details.Info) is not { } info)
            return (null, null);
        var pid = CriRuntime.Pid(info);
        var path = (info["runtimeSpec"]?["linux"]?["namespaces"] as JsonArray ?? [])
            .FirstOrDefault(ns => ns?["type"]?.GetValue<string>() == "network")?["path"]?.GetValue<string>();
        return (pid, path is { Length: > 0 } ? path : pid is { } known ? $"/proc/{known}/ns/net" : null);
    }

    /// <summary>Whether two processes are in the same namespace of a kind (their /proc/PID/ns/KIND links name one inode).</summary>
    private static bool SameNamespace(int? a, int? b, string kind) =>
        a is { } x && b is { } y && NamespaceOf(x, kind) is { } one && one == NamespaceOf(y, kind);

    private static string? NamespaceOf(int pid, string kind)
    {
        try
        {
            return new FileInfo($"/proc/{pid}/ns/{kind}").LinkTarget;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <param name="nodeLinks">The node's links by index: where a veth's peer and its bridge are found.</param>
    private static (IReadOnlyList<PodInterface>, IReadOnlyList<string>) Inside(string netnsPath, IReadOnlyDictionary<int, LinkInfo> nodeLinks)
    {
        using var ns = NetworkNamespace.OpenPath(netnsPath);
        using var pod = RtNetlink.Open(ns);
        var addresses = pod.Addresses.List();
        var interfaces = pod.Links.List().OrderBy(l => l.Index).Select(link =>
        {
            string? peer = null, peerBridge = null;
            if (link.Kind == "veth" && link.ParentIndex is { } peerIndex && nodeLinks.TryGetValue(peerIndex, out var nodeEnd))
            {
                peer = nodeEnd.Name;
                peerBridge = nodeEnd.MasterIndex is { } master && nodeLinks.TryGetValue(master, out var bridgeLink) ? bridgeLink.Name : null;
            }
            var mac = link.Mac is { } m ? string.Join(':', m.GetAddressBytes().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture))) : null;
            return new PodInterface(link.Name, link.Kind ?? (link.Name == "lo" ? "loopback" : null), mac, link.Mtu, link.IsUp,
                addresses.Where(a => a.LinkIndex == link.Index).Select(a => a.Address.ToString()).ToList(), peer, peerBridge);
        }).ToList();
        var routes = pod.Routes.List().Select(r => r.ToString()).ToList();
        return (interfaces, routes);
    }
}
