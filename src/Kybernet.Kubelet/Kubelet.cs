using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Kubelet.Cri;
using Kybernet.Kubelet.Cri.V1;
using Kybernet.Kubelet.Node;
using Kybernet.Kubelet.Pods;
using Kybernet.Kubelet.Pods.Dns;
using Kybernet.Kubelet.Pods.Env;
using Kybernet.Kubelet.Pods.Probes;
using Kybernet.Kubelet.Pods.Volumes;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet;

/// <summary>
/// The kubelet, started top to bottom by <see cref="StartAsync"/>: reach the runtime (CRI Version), register the Node
/// and keep its Lease and status, write the node's CNI conflist once the overlay has its subnet, watch the pods bound
/// here (and the ConfigMaps, Secrets and Services they read), and run each through a <see cref="PodWorker"/>. It keeps
/// no state of its own: stopped, it leaves every pod running; started again, it finds them in the runtime's lists.
/// </summary>
public sealed class Kubelet : IAsyncDisposable
{
    private static readonly TimeSpan RuntimeWait = TimeSpan.FromSeconds(60);

    private readonly CancellationTokenSource _stop;
    private readonly List<Task> _loops;
    private readonly CriConnection _cri;
    private readonly InformerFactory _informers;
    private readonly PodWorkers _workers;
    private readonly ProbeManager _probes;
    private readonly EventRecorder _events;
    private readonly Server.KubeletServer _server;
    private readonly ILogger _log;

    private Kubelet(CancellationTokenSource stop, List<Task> loops, CriConnection cri, InformerFactory informers, PodWorkers workers, ProbeManager probes, EventRecorder events, Server.KubeletServer server, ILogger log)
    {
        (_stop, _loops, _cri, _informers, _workers, _probes, _events, _server, _log) = (stop, loops, cri, informers, workers, probes, events, server, log);
    }

    /// <summary>Where the kubelet API listens.</summary>
    public System.Net.IPEndPoint ServerEndpoint => _server.Bound;

    /// <summary>The pods this kubelet runs now (one worker each).</summary>
    public int Pods => _workers.Count;

    public static async Task<Kubelet> StartAsync(IKubernetes client, KubeletOptions options, ILoggerFactory loggers, Func<bool>? overlayHasSubnet = null, CancellationToken cancellationToken = default)
    {
        var log = loggers.CreateLogger("kubelet");
        var stop = new CancellationTokenSource();
        var loops = new List<Task>();

        // 1. The runtime: wait until its CRI socket answers (the lab starts containerd just before).
        var cri = new CriConnection(options.RuntimeEndpoint);
        var version = await WaitForRuntimeAsync(cri, log, cancellationToken);
        var runtime = new CriRuntime(cri);
        log.LogInformation("runtime {Name} {Version} (CRI {Api}) at {Endpoint}", version.RuntimeName, version.RuntimeVersion, version.RuntimeApiVersion, options.RuntimeEndpoint);

        // 2. The node: registered before the overlay starts (kube mode's overlay waits for its podCIDR), then Lease and status.
        var hostIps = new[] { options.NodeIp.ToString() };
        var runtimeHealth = new RuntimeHealth(TimeProvider.System, loggers.CreateLogger("runtime-health"));
        var node = new KubeletNode(client, new NodeOptions
        {
            NodeName = options.NodeName,
            InternalIp = options.NodeIp,
            ContainerRuntimeVersion = $"{version.RuntimeName}://{version.RuntimeVersion}",
            RootDirectory = Directory.CreateDirectory(options.RootDirectory).FullName,
        }, ct => runtimeHealth.ProblemsAsync(cri, ct), overlayHasSubnet, loggers);
        var registered = await node.RegisterAsync(cancellationToken);
        loops.Add(node.RunAsync(stop.Token));

        // 3. The conflist containerd reads for every sandbox, from the overlay's subnet.env (written again when it changes).
        if (options.SubnetFile is { } subnetFile)
        {
            var writer = new CniConfigWriter(options.CniConfDirectory, options.CniIpamDataDirectory ?? Path.Combine(options.RootDirectory, "ipam"), loggers.CreateLogger("cni-config"));
            loops.Add(writer.RunAsync(subnetFile, TimeSpan.FromSeconds(1), _ => node.SignalsChanged(), stop.Token));
        }

        // 4. What pods read: the pods bound here, and the ConfigMaps, Secrets and Services their containers use.
        var informers = new InformerFactory(client, loggers: loggers);
        var pods = informers.For<V1Pod>(ApiResource.Pods, fieldSelector: $"spec.nodeName={options.NodeName}");
        var configMaps = informers.For<V1ConfigMap>(ApiResource.ConfigMaps);
        var secrets = informers.For<V1Secret>(ApiResource.Secrets);
        var services = informers.For<V1Service>(ApiResource.Services);
        var source = new InformerObjectSource(configMaps, secrets, services);

        // 5. The pod workers and what they share.
        var events = new EventRecorder(client, "kubelet", loggers.CreateLogger("events"), host: options.NodeName);
        var podEvents = new PodEvents(events);
        var dns = new PodDnsPolicy(new ClusterDnsOptions([options.ClusterDns.ToString()], options.ClusterDomain, HostResolvConf(), true), loggers.CreateLogger("dns"));
        var setup = new PodSetup(new PodVolumes(Path.GetFullPath(options.RootDirectory), source, loggers.CreateLogger("volumes")),
            new ContainerEnvironment(source, loggers.CreateLogger("environment")), dns, options.ClusterDomain, hostIps, () => registered.Status?.Allocatable);
        PodWorkers? workers = null;
        var http = new HttpProber();
        var probes = new ProbeManager(new Prober(new CriExec(runtime), http, new TcpProber(), loggers.CreateLogger("prober")),
            podEvents, uid => workers?.Kick(uid), TimeProvider.System, loggers.CreateLogger("prober"));
        var context = new PodSyncContext(client, runtime, version.RuntimeName,
            new SandboxSettings(Path.GetFullPath(options.PodLogDirectory), options.CgroupParent), setup, podEvents,
            new CrashLoopBackOff(TimeProvider.System), probes, new PreStopHook(runtime, http),
            new PodStatusWriter(client, probes, version.RuntimeName, hostIps, TimeProvider.System, loggers.CreateLogger("status")),
            TimeProvider.System, log);
        workers = new PodWorkers(context, () => pods.Cache.List());
        pods.AddHandler(new InformerHandler<V1Pod>(workers.Update, (_, pod) => workers.Update(pod), workers.Delete));
        // A changed ConfigMap or Secret reaches the volumes of the pods of its namespace at their next sync.
        void KickNamespace(string? ns)
        {
            foreach (var pod in pods.Cache.List().Where(p => p.Metadata.NamespaceProperty == ns))
                workers.Kick(pod.Metadata.Uid);
        }
        configMaps.AddHandler(InformerHandler<V1ConfigMap>.OnAny(c => KickNamespace(c.Metadata.NamespaceProperty)));
        secrets.AddHandler(InformerHandler<V1Secret>.OnAny(s => KickNamespace(s.Metadata.NamespaceProperty)));
        informers.Start(stop.Token);
        await informers.WaitForSyncAsync(cancellationToken);
        workers.Start();

        // 6. The kubelet API (:10250) that the API server calls for logs.
        var serving = Server.ServingCertificate.Load(options.TlsCertFile, options.TlsKeyFile, options.RootDirectory, options.NodeName, options.NodeIp);
        var server = await Server.KubeletServer.StartAsync(new System.Net.IPEndPoint(options.NodeIp, options.ServerPort), serving, options.ClientCas,
            () => pods.Cache.List(), new Server.ContainerLogSource(() => pods.Cache.List(), runtime),
            new Server.StreamingProxy(() => pods.Cache.List(), runtime, loggers.CreateLogger("kubelet-streaming")),
            new Server.PodProxy(() => pods.Cache.List(), options.NodeIp), loggers, cancellationToken);
        log.LogInformation("kubelet of node {Node} is up: {Pods} pods bound here", options.NodeName, pods.Cache.Count);
        return new Kubelet(stop, loops, cri, informers, workers, probes, events, server, log);
    }

    private static async Task<VersionResponse> WaitForRuntimeAsync(CriConnection cri, ILogger log, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + RuntimeWait;
        while (true)
        {
            try
            {
                return await cri.VersionAsync(TimeSpan.FromSeconds(5), ct);
            }
            catch (CriException e) when (DateTime.UtcNow < deadline)
            {
                log.LogInformation("waiting for the runtime: {Error}", e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
            }
        }
    }

    /// <summary>The node's resolv.conf, what dnsPolicy Default pods get (and ClusterFirst pods' extra search domains).</summary>
    private static PodDnsSettings HostResolvConf()
    {
        try
        {
            return ResolvConf.Parse(File.ReadAllText("/etc/resolv.conf"));
        }
        catch (IOException)
        {
            return PodDnsSettings.Empty;
        }
    }

    /// <summary>Stops the kubelet's loops; the pods keep running in the runtime (a restarted kubelet adopts them).</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _server.DisposeAsync();
        await _workers.DisposeAsync();
        await _probes.DisposeAsync();
        await _informers.DisposeAsync();
        foreach (var loop in _loops)
        {
            try
            {
                await loop;
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
            catch (Exception e)
            {
                _log.LogWarning("a kubelet loop ended with an error: {Error}", e.Message);
            }
        }
        await _events.DisposeAsync();
        _cri.Dispose();
        _stop.Dispose();
    }
}
