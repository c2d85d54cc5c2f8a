using System.Text;

namespace Kybernet.Kubelet.Networks;

/// <summary>What `kybernet net ls` and `kybernet net inspect` print.</summary>
public static class NetworkReport
{
    public static string Table(IReadOnlyList<NodeNetwork> networks)
    {
        var rows = networks.Select(n => new[] { n.Name, n.Driver, n.Subnet, n.Gateway, n.Pods.Count == 0 ? "-" : string.Join(", ", n.Pods) }).ToList();
        string[] header = ["NETWORK", "DRIVER", "SUBNET", "GATEWAY", "PODS"];
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Select(r => r[i].Length).DefaultIfEmpty(0).Max())).ToArray();
        var text = new StringBuilder();
        foreach (var row in rows.Prepend(header))
            text.AppendLine(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        return text.ToString();
    }

    public static string Pod(PodNetwork pod)
    {
        var text = new StringBuilder();
        text.AppendLine($"pod {pod.FullName}");
        text.AppendLine($"  mode:       {Mode(pod)}");
        text.AppendLine($"  sandbox:    {pod.SandboxId[..Math.Min(12, pod.SandboxId.Length)]} (pause pid {Show(pod.SandboxPid)})");
        text.AppendLine($"  netns:      {pod.NetnsPath ?? "the node's own"}");
        text.AppendLine($"  ip:         {pod.Ip?.ToString() ?? (pod.Mode == NetworkMode.Host ? "the node's" : "-")}");
        if (pod.Interfaces.Count > 0)
        {
            text.AppendLine("  interfaces:");
            foreach (var i in pod.Interfaces)
            {
                var peer = i.NodePeer is null ? "" : $"  veth peer {i.NodePeer} on the node" + (i.NodePeerBridge is null ? "" : $" (port of {i.NodePeerBridge})");
                var addresses = i.Addresses.Count == 0 ? "-" : string.Join(" ", i.Addresses);
                text.AppendLine($"    {i.Name,-6} {i.Kind ?? "-",-9} {(i.Up ? "up" : "down"),-5} mtu {i.Mtu,-6} {addresses}{(i.Mac is { } mac && i.Kind != "loopback" ? "  mac " + mac : "")}{peer}");
            }
        }
        if (pod.Routes.Count > 0)
        {
            text.AppendLine("  routes:");
            foreach (var route in pod.Routes)
                text.AppendLine($"    {route}");
        }
        text.AppendLine($"  containers: (network namespace: the sandbox's unless said; pid namespace: {(pod.SharedPidNamespace ? "one for the pod, shareProcessNamespace" : "each its own")})");
        foreach (var c in pod.Containers)
            text.AppendLine($"    {c.Name,-12} pid {Show(c.Pid),-8} {(c.SharesNetwork ? "shares the sandbox's netns" : "own netns")}{(c.SharesPid ? ", shares its pid namespace" : "")}");
        return text.ToString();
    }

    public static string Network(NodeNetwork network, IReadOnlyList<PodNetwork> pods)
    {
        var text = new StringBuilder();
        text.AppendLine($"network {network.Name}");
        text.AppendLine($"  driver:     {network.Driver}");
        text.AppendLine($"  subnet:     {network.Subnet}");
        text.AppendLine($"  gateway:    {network.Gateway}");
        text.AppendLine("  pods:");
        foreach (var name in network.Pods)
        {
            var pod = pods.FirstOrDefault(p => name.StartsWith(p.FullName, StringComparison.Ordinal));
            var eth0 = pod?.Interfaces.FirstOrDefault(i => i.NodePeer is not null);
            text.AppendLine($"    {name,-30} {pod?.Ip?.ToString() ?? "-",-15} {(eth0 is null ? "" : $"{eth0.Name} <-> {eth0.NodePeer}")}".TrimEnd());
        }
        return text.ToString();
    }

    private static string Mode(PodNetwork pod) => pod.Mode switch
    {
        NetworkMode.Host => "host (hostNetwork: the node's network namespace)",
        _ => "bridge (a veth on the node's bridge)",
    };

    private static string Show(int? pid) => pid?.ToString() ?? "-";
}
