using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Node;

/// <summary>
/// The node part of the kubelet, in the order it runs: read the machine, register the Node, then keep its Lease and
/// its status for as long as the kubelet runs. the runtime-problems callback says why the runtime or its network
/// is not ready (empty when ready: the kubelet's CRI Status check); the overlay callback says whether
/// the overlay has this node's subnet (null: no overlay on this node, NetworkUnavailable is left alone).
/// Call <see cref="SignalsChanged"/> when either changes, so the status follows at once rather than within 10 s.
/// Given a <see cref="NodeNetwork"/> instead of the overlay callback, it also keeps the node's CNI conflist in step with
/// subnet.env, and the overlay counts as having the subnet from the first subnet.env it reads.
/// </summary>
public sealed class KubeletNode
{
    private readonly IKubernetes _client;
    private readonly NodeOptions _options;
    private readonly Func<CancellationToken, Task<IReadOnlyList<string>>> _runtimeProblems;
    private readonly Func<bool>? _overlayHasSubnet;
    private readonly NodeNetwork? _network;
    private volatile bool _subnetKnown;
    private readonly ILoggerFactory _loggers;
    private readonly TimeProvider _time;
    private volatile string? _uid;
    private NodeStatusReporter? _reporter;

    public KubeletNode(IKubernetes client, NodeOptions options, Func<CancellationToken, Task<IReadOnlyList<string>>> runtimeProblems,
        Func<bool>? overlayHasSubnet, ILoggerFactory loggers, TimeProvider? time = null, NodeNetwork? network = null)
    {
        if (overlayHasSubnet is not null && network is not null)
            throw new ArgumentException("give either the overlay callback or the node network, not both (the network's subnet.env says whether the overlay has the subnet)");
        _network = network;
        _client = client;
        _options = options;
        _runtimeProblems = runtimeProblems;
        _overlayHasSubnet = network is null ? overlayHasSubnet : () => _subnetKnown;
        _loggers = loggers;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The registered Node's uid (null before registration).</summary>
    public string? NodeUid => _uid;

    public void SignalsChanged() => _reporter?.Trigger();

    /// <summary>Registers the node (retrying until done), writes its first status; returns the registered Node.</summary>
    public async Task<V1Node> RegisterAsync(CancellationToken cancellationToken)
    {
        var facts = MachineFacts.Read(_options.RootDirectory, _loggers.CreateLogger<MachineFacts>());
        var registration = new NodeRegistration(_client, _options, facts, _loggers.CreateLogger<NodeRegistration>(), _time);
        var node = await registration.RegisterAsync(cancellationToken);
        _uid = node.Metadata.Uid;
        _reporter = new NodeStatusReporter(_client, _options, facts, ReadSignalsAsync, async ct =>
        {
            var again = await registration.RegisterAsync(ct);
            _uid = again.Metadata.Uid;
            return again;
        }, _loggers.CreateLogger<NodeStatusReporter>(), _time);
        await _reporter.SyncAsync(cancellationToken);
        return node;
    }

    /// <summary>Registers if not yet done, then renews the Lease and reports the status until cancelled (which ends it quietly).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (_reporter is null)
                await RegisterAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return; // stopped before the node was registered
        }
        var lease = new NodeLease(_client, _options, () => _uid, _loggers.CreateLogger<NodeLease>(), _time);
        var loops = new List<Task> { lease.RunAsync(cancellationToken), _reporter!.RunAsync(cancellationToken) };
        if (_network is { } network)
            loops.Add(network.Writer.RunAsync(network.SubnetEnvPath, network.PollInterval, _ =>
            {
                _subnetKnown = true;
                SignalsChanged();
            }, cancellationToken, _time));
        await Task.WhenAll(loops);
    }

    private async Task<NodeSignals> ReadSignalsAsync(CancellationToken cancellationToken) =>
        new(await _runtimeProblems(cancellationToken), _overlayHasSubnet?.Invoke());
}
