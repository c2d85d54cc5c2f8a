using System.CommandLine;
using Kybernet.Agent;
using Kybernet.Kubelet.Cri;
using Kybernet.Kubelet.Networks;
using Kybernet.Kubelet.Pods;
using Kybernet.Linux.Namespaces;

namespace Kybernet.Cli.Commands;

/// <summary>
/// `kybernet net ls` and `kybernet net inspect NETWORK|POD`: a node's networks the way `docker network ls` shows
/// Docker's (bridge, host, none, container) and one pod's namespace in detail, read from the node's container
/// runtime and kernel. Run on the node; `kybernet lab net` runs it for a lab node.
/// </summary>
internal static class NetCommand
{
    public static Command Create()
    {
        var endpoint = new Option<string>("--container-runtime-endpoint") { Description = "The node's CRI socket", DefaultValueFactory = _ => new KubeletSettings().RuntimeEndpoint };
        var ls = new Command("ls", "List the node's networks (bridge, host, none, container) and the pods on each") { endpoint };
        ls.SetAction((parsed, ct) => ListAsync(parsed.GetValue(endpoint)!, null, ct));
        var name = new Argument<string>("name") { Description = "A network (bridge, host, none, container) or a pod (NAME or NAMESPACE/NAME)" };
        var inspect = new Command("inspect", "Show a network, or a pod's sandbox, namespace, interfaces, veth peer, routes and containers") { name, endpoint };
        inspect.SetAction((parsed, ct) => InspectAsync(parsed.GetValue(endpoint)!, null, parsed.GetValue(name)!, ct));
        return new Command("net", "A node's pod networks, as the kernel and the runtime have them") { ls, inspect };
    }

    /// <param name="node">The node's network namespace (a lab node's); null: this process's own.</param>
    public static Task<int> ListAsync(string endpoint, NetworkNamespace? node, CancellationToken ct) => WithReader(endpoint, node, async reader =>
    {
        var pods = await reader.PodsAsync(ct);
        Console.Write(NetworkReport.Table(reader.Networks(pods)));
        return 0;
    });

    public static Task<int> InspectAsync(string endpoint, NetworkNamespace? node, string name, CancellationToken ct) => WithReader(endpoint, node, async reader =>
    {
        var pods = await reader.PodsAsync(ct);
        if (reader.Networks(pods).FirstOrDefault(n => n.Name == name) is { } network)
        {
            Console.Write(NetworkReport.Network(network, pods));
            return 0;
        }
        var matches = pods.Where(p => p.FullName == name || p.Name == name).ToList();
        switch (matches.Count)
        {
            case 1:
                Console.Write(NetworkReport.Pod(matches[0]));
                return 0;
            case 0:
                Console.Error.WriteLine($"kybernet: no network or running pod \"{name}\" on this node (networks: bridge, host, none, container)");
                return 1;
            default:
                Console.Error.WriteLine($"kybernet: \"{name}\" names several pods ({string.Join(", ", matches.Select(m => m.FullName))}): say NAMESPACE/NAME");
                return 1;
        }
    });

    private static async Task<int> WithReader(string endpoint, NetworkNamespace? node, Func<NodeNetworkReader, Task<int>> action)
    {
        try
        {
            using var cri = new CriConnection(endpoint, TimeSpan.FromSeconds(10));
            return await action(new NodeNetworkReader(new CriRuntime(cri), node));
        }
        catch (Exception e) when (e is CriException or Linux.LinuxException or IOException or ArgumentException)
        {
            Console.Error.WriteLine($"kybernet: {e.Message}");
            return 1;
        }
    }
}
