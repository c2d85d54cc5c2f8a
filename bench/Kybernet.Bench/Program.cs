namespace Kybernet.Bench;

/// <summary>`bench/run NAME`: runs one benchmark and prints its results as a markdown table.</summary>
public static class Program
{
    private static readonly Dictionary<string, (string Description, Func<string[], int> Run)> Benchmarks = new()
    {
        ["netns"] = ("100 pod-like namespaces built natively vs with ip commands", PodNamespaceBenchmark.Run),
        ["cni"] = ("CNI ADD/DEL latency and memory: Kybernet's plugins vs the reference plugins", CniBenchmark.Run),
        ["api"] = ("API server: ConfigMap creates, list and watch latency on SQLite and etcd vs etcd's put rate", ApiBenchmark.Run),
        ["protobuf"] = ("API server codec: Pod and Deployment decode+encode in Kubernetes protobuf vs JSON", ProtobufBenchmark.Run),
        ["scheduler"] = ("1,000 pods on 100 hollow nodes from create to bound: scheduler (and ReplicaSet) vs a plain client binding them", SchedulerBenchmark.Run),
        ["kubelet"] = ("30 pods per node on 2 lab nodes, create to Running with an IP: our kubelet vs a plain CRI client; pause vs shim memory", KubeletBenchmark.Run),
        ["overlay"] = ("iperf3 pod to pod across two nodes: vxlan, host-gw, udp backends vs veth and hand-built kernel VXLAN", OverlayBenchmark.Run),
    };

    public static int Main(string[] args)
    {
        if (args.Length == 0 || !Benchmarks.TryGetValue(args[0], out var benchmark))
        {
            Console.Error.WriteLine("usage: bench/run NAME [options]\n");
            foreach (var (name, (description, _)) in Benchmarks)
                Console.Error.WriteLine($"  {name,-8} {description}");
            return 2;
        }
        return benchmark.Run(args[1..]);
    }
}
