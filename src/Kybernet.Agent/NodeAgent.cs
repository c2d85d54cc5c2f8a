using Kybernet.Client;
using Kybernet.Linux.Namespaces;
using Kybernet.Overlay.Agent;
using Kybernet.Overlay.Backends;
using Kybernet.Overlay.Subnets;
using Kybernet.Store.Etcd;
using Microsoft.Extensions.Logging;

namespace Kybernet.Agent;

/// <summary>
/// The node agent's composition root (k3s's pkg/agent/run.go): <see cref="StartAsync"/> is the one start-up sequence,
/// read top to bottom as the node comes up; it returns only when the node is ready, and every component it started is
/// stopped in reverse order by <see cref="DisposeAsync"/> (or at once, if a later step fails). Today it composes the
/// overlay; the kubelet, the service proxy and DNS join at the places marked in the sequence, each from a project of
/// its own (Kybernet.Kubelet, Kybernet.Proxy, Kybernet.Dns), and none of them knows about the others.
/// </summary>
public sealed class NodeAgent : IAsyncDisposable
{
    private readonly StopOrder _started;

    private NodeAgent(OverlayAgent overlay, StopOrder started)
    {
        Overlay = overlay;
        _started = started;
    }

    /// <summary>The node's overlay (flanneld): its lease, subnet.env and the other nodes' leases as applied.</summary>
    public OverlayAgent Overlay { get; }

    /// <summary>Ends when the agent is stopped; faults when a component cannot go on (the overlay lost its subnet, or its data path failed).</summary>
    public Task Completion => Overlay.Completion;

    /// <summary>Brings the node up; see the class summary. Nothing is left running if it throws.</summary>
    /// <exception cref="AgentConfigurationException">The options cannot work on this node (the device has no IPv4 address).</exception>
    public static async Task<NodeAgent> StartAsync(AgentOptions options, CancellationToken cancellationToken = default)
    {
        var loggers = options.Loggers;
        var log = loggers.CreateLogger("agent");
        var started = new StopOrder(log);
        try
        {
            // 1. The node: its network namespace (the one the agent runs in, unless told) and the address other nodes send to.
            var node = options.Namespace ?? started.Add("the node's namespace handle", NetworkNamespace.OpenCurrent());
            var external = new ExternalInterface(node, options.Interface, PublicAddress.Resolve(node, options.Interface, options.PublicIp));

            // 2. Where the subnet leases live: etcd (flannel's layout), or this node's Node object through the API.
            var subnets = OpenSubnetManager(options.Leases, loggers, started, log);

            // 3. The kubelet, before the overlay: it registers the Node whose podCIDR the kube mode's overlay waits for (k3s starts
            //    the kubelet, then flannel); its pods wait for the network until subnet.env exists and the conflist is written.
            if (options.Kubelet is { } kubelet)
            {
                if (options.Leases is not KubeLeaseOptions kube)
                    throw new AgentConfigurationException("the kubelet needs the API: run it with --kube-subnet-mgr");
                var subnetFile = Path.GetFullPath(options.SubnetFile);
                var client = started.Add("the kubelet's API client", KubeClient.FromKubeconfig(kube.Kubeconfig));
                started.Add("the kubelet", await Kubelet.Kubelet.StartAsync(client,
                    kubelet.For(kube.Subnets.NodeName, external.PublicIp, subnetFile, KubeClient.CaCertificates(kube.Kubeconfig)), loggers, () => File.Exists(subnetFile), cancellationToken));
            }

            // 4. The overlay (flanneld): lease, backend, subnet.env, forwarding and masquerading. From here on it follows the
            //    other nodes' leases, renews its own and resyncs the kernel every ResyncPeriod.
            var overlay = started.Add("the overlay", await OverlayAgent.StartAsync(subnets, BackendRegistry.CreateDefault(), new OverlayAgentOptions
            {
                External = external,
                SubnetFile = options.SubnetFile,
                IpMasq = options.IpMasq,
                ResyncPeriod = options.ResyncPeriod,
                Log = loggers.CreateLogger("overlay"),
            }, cancellationToken));

            // 5. Later: the service proxy (Kybernet.Proxy), Services and EndpointSlices into nftables, after the overlay: the
            //    pod network its rules send to must exist.

            // 6. Later: cluster DNS (Kybernet.Dns), over the same informers, last: it is reached through a service IP the
            //    proxy programs.

            // Ready.
            log.LogInformation("up: subnet {Subnet}, subnet.env at {SubnetFile}", overlay.Lease.Subnet, Path.GetFullPath(options.SubnetFile));
            return new NodeAgent(overlay, started);
        }
        catch
        {
            await started.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// `kybernet agent`: starts, runs until <paramref name="cancellationToken"/> (SIGTERM) and stops; returns the exit code.
    /// A component that fails (the overlay lost its subnet) is thrown, after everything was stopped.
    /// </summary>
    public static async Task<int> RunAsync(AgentOptions options, CancellationToken cancellationToken)
    {
        var log = options.Loggers.CreateLogger("agent");
        await using var agent = await StartAsync(options, cancellationToken);
        try
        {
            await agent.Completion.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Asked to stop.
        }
        log.LogInformation("stopping (its lease stays)");
        return agent.Completion.IsFaulted ? 1 : 0;
    }

    /// <summary>Stops what the sequence started, in reverse order; the overlay keeps its lease and kernel state for the next start.</summary>
    public ValueTask DisposeAsync() => _started.DisposeAsync();

    private static ISubnetManager OpenSubnetManager(LeaseOptions leases, ILoggerFactory loggers, StopOrder started, ILogger log)
    {
        switch (leases)
        {
            case EtcdLeaseOptions etcd:
                var store = started.Add("the etcd client", new EtcdStore(EtcdStoreOptions.Parse(etcd.Endpoints) with { Log = loggers.CreateLogger("etcd") }));
                return new EtcdSubnetManager(store, etcd.Subnets);
            case KubeLeaseOptions kube:
                var client = started.Add("the API client", KubeClient.FromKubeconfig(kube.Kubeconfig));
                var subnets = new KubeSubnetManager(client, kube.Subnets with { Log = loggers.CreateLogger("kube-subnet-manager") });
                log.LogInformation("kube mode, node {Node}, network config {NetConf}", kube.Subnets.NodeName, Path.GetFullPath(kube.Subnets.NetConfPath));
                return subnets;
            default:
                throw new ArgumentException($"unknown lease options {leases.GetType().Name}: give {nameof(EtcdLeaseOptions)} or {nameof(KubeLeaseOptions)}", nameof(leases));
        }
    }
}
