using k8s;
using Kybernet.Client.Informers;
using Kybernet.Controllers.Endpoints;
using Kybernet.Controllers.EndpointSlices;
using Kybernet.Controllers.DaemonSets;
using Kybernet.Controllers.Deployments;
using Kybernet.Controllers.GarbageCollection;
using Kybernet.Controllers.Jobs;
using Kybernet.Controllers.Namespaces;
using Kybernet.Controllers.NodeIpam;
using Kybernet.Controllers.NodeLifecycle;
using Kybernet.Controllers.PodGarbageCollection;
using Kybernet.Controllers.Replication;
using Kybernet.Controllers.RootCaPublisher;
using Kybernet.Controllers.Scheduler;
using Kybernet.Controllers.ServiceAccounts;
using Kybernet.Controllers.TaintEviction;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Controllers;

/// <summary>Which controllers `kybernet server` runs, and their settings (kube-controller-manager's flags).</summary>
public sealed record ControllerManagerOptions
{
    /// <summary>--allocate-node-cidrs: give every node a pod CIDR (the node IPAM controller).</summary>
    public bool AllocateNodeCidrs { get; init; } = true;

    public NodeIpamOptions NodeIpam { get; init; } = new();

    public GarbageCollectorOptions GarbageCollector { get; init; } = new();

    public NamespaceControllerOptions Namespaces { get; init; } = new();

    public NodeLifecycleOptions NodeLifecycle { get; init; } = new();

    public TaintEvictionOptions TaintEviction { get; init; } = new();

    public PodGarbageCollectorOptions PodGarbageCollector { get; init; } = new();

    /// <summary>The ReplicaSet and ReplicationController controllers (one engine, the same settings for both).</summary>
    public ReplicationOptions Replication { get; init; } = new();
    public EndpointsOptions Endpoints { get; init; } = new();

    public EndpointSliceOptions EndpointSlices { get; init; } = new();

    /// <summary>The cluster CA the root-ca-cert-publisher puts in every namespace; without one it does not run.</summary>
    public RootCaPublisherOptions RootCa { get; init; } = new();
    public JobControllerOptions Jobs { get; init; } = new();

    public DaemonSetControllerOptions DaemonSets { get; init; } = new();

    public SchedulerOptions Scheduler { get; init; } = new();

    public DeploymentControllerOptions Deployments { get; init; } = new();

    /// <summary>Where the manager and each controller log (a category per controller); nothing by default.</summary>
    public ILoggerFactory Loggers { get; init; } = NullLoggerFactory.Instance;

    /// <summary>How long a controller that failed waits before it is started again.</summary>
    public TimeSpan RestartDelay { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>
/// kube-controller-manager in miniature: runs each controller in a loop of its own against the API (through a client, as
/// any other component would), restarts one that fails after <see cref="ControllerManagerOptions.RestartDelay"/>, and
/// stops them all on dispose. New controllers join in <see cref="Create"/>.
/// </summary>
public sealed class ControllerManager : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly List<Task> _loops = [];
    private readonly ControllerManagerOptions _options;
    private readonly ILogger _log;
    private readonly InformerFactory? _informers;

    private ControllerManager(IReadOnlyList<IController> controllers, InformerFactory? informers, ControllerManagerOptions options, CancellationToken stopping)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        Controllers = controllers;
        _informers = informers;
        _options = options;
        _log = options.Loggers.CreateLogger("controller-manager");
        // The controllers asked for their informers while being made: start them all now, one watch per resource.
        informers?.Start(_stop.Token);
        foreach (var controller in controllers)
            _loops.Add(Task.Run(() => KeepRunningAsync(controller, _stop.Token)));
    }

    public IReadOnlyList<IController> Controllers { get; }

    /// <summary>The controllers <paramref name="options"/> enable, on the shared informers of <paramref name="informers"/>.</summary>
    public static IReadOnlyList<IController> Create(InformerFactory informers, ControllerManagerOptions options)
    {
        var controllers = new List<IController>
        {
            new GarbageCollector(informers, options.GarbageCollector, options.Loggers.CreateLogger("garbage-collector")),
            new NamespaceController(informers, options.Namespaces, options.Loggers.CreateLogger("namespace-controller")),
            new ServiceAccountsController(informers, options.Loggers.CreateLogger("serviceaccounts-controller")),
            ReplicaControllers.ReplicaSets(informers, options.Replication, options.Loggers.CreateLogger("replicaset-controller")),
            ReplicaControllers.ReplicationControllers(informers, options.Replication, options.Loggers.CreateLogger("replication-controller")),
            new DeploymentController(informers, options.Deployments, options.Loggers.CreateLogger("deployment-controller")),
            new DaemonSetController(informers, options.DaemonSets, options.Loggers.CreateLogger("daemonset-controller")),
            new JobController(informers, options.Jobs, options.Loggers.CreateLogger("job-controller")),
            new TtlAfterFinishedController(informers, options.Loggers.CreateLogger("ttl-after-finished-controller")),
            new EndpointsController(informers, options.Endpoints, options.Loggers.CreateLogger("endpoints-controller")),
            new EndpointSliceController(informers, options.EndpointSlices, options.Loggers.CreateLogger("endpointslice-controller")),
            new NodeLifecycleController(informers, options.NodeLifecycle, options.Loggers.CreateLogger("node-lifecycle")),
            new TaintEvictionController(informers, options.TaintEviction, options.Loggers.CreateLogger("taint-eviction-controller")),
            new PodGarbageCollector(informers, options.PodGarbageCollector, options.Loggers.CreateLogger("pod-garbage-collector")),
            new PodScheduler(informers, options.Scheduler, options.Loggers.CreateLogger("scheduler")),
        };
        if (options.RootCa.CaPem is { } caPem)
            controllers.Add(new RootCaCertPublisher(informers, caPem, options.Loggers.CreateLogger("root-ca-cert-publisher")));
        if (options.AllocateNodeCidrs)
            controllers.Add(new NodeIpamController(informers, options.NodeIpam, options.Loggers.CreateLogger("node-ipam")));
        return controllers;
    }

    /// <summary>
    /// Starts every enabled controller, and the informers they share, and returns at once. They stop on dispose, or as
    /// soon as <paramref name="stopping"/> is cancelled (the server begins to stop).
    /// </summary>
    public static ControllerManager Start(IKubernetes client, ControllerManagerOptions options, CancellationToken stopping = default)
    {
        var informers = new InformerFactory(client, loggers: options.Loggers);
        return new(Create(informers, options), informers, options, stopping);
    }

    /// <summary>Runs the given controllers (their informers are the caller's to start).</summary>
    public static ControllerManager Start(IReadOnlyList<IController> controllers, ControllerManagerOptions options, CancellationToken stopping = default) =>
        new(controllers, null, options, stopping);

    private async Task KeepRunningAsync(IController controller, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                _log.LogInformation("{Controller}: started", controller.Name);
                await controller.RunAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _log.LogError(e, "{Controller}: failed, restarting in {Delay} s: {Error}", controller.Name, _options.RestartDelay.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture), e.Message);
            }
            try
            {
                await Task.Delay(_options.RestartDelay, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
        if (_informers is not null)
            await _informers.DisposeAsync();
        _stop.Dispose();
    }
}
