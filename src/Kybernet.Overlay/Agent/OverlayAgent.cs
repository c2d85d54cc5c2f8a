using Kybernet.Linux;
using Kybernet.Linux.Nftables;
using Kybernet.Overlay.Backends;
using Kybernet.Overlay.Subnets;
using Microsoft.Extensions.Logging;

namespace Kybernet.Overlay.Agent;

/// <summary>
/// One node's overlay (flanneld): <see cref="StartAsync"/> reads top to bottom as the node comes up, and returns
/// once the node has its lease, subnet.env, forwarding and masquerading; from then on it follows the other
/// nodes' leases (every batch applied whole, level-triggered), renews its own in the background, and every
/// <see cref="OverlayAgentOptions.ResyncPeriod"/> re-reads the kernel and restores whatever went missing
/// (<see cref="Resync"/>). <see cref="DisposeAsync"/> stops all three and leaves the lease in the store, so a
/// restarted agent gets the same subnet back and existing pods keep their addresses.
/// </summary>
public sealed class OverlayAgent : IAsyncDisposable
{
    private readonly ISubnetManager _subnets;
    private readonly INetwork _network;
    private readonly OverlayAgentOptions _options;
    private readonly MasqueradeKeeper _masquerade;
    private readonly LeaseRenewer _renewer;
    private readonly CancellationTokenSource _stop = new();
    /// <summary>Lease events and resyncs apply one at a time.</summary>
    private readonly Lock _applyGate = new();
    private TaskCompletionSource _appliedSignal = NewSignal();
    /// <summary>The other leases as last applied; null until the first watch batch, so a resync never applies a set it does not know.</summary>
    private IReadOnlyCollection<SubnetLease>? _applied;
    private Task _run = Task.CompletedTask;

    private OverlayAgent(ISubnetManager subnets, INetwork network, MasqueradeKeeper masquerade, NetworkConfig config, SubnetEnv env, OverlayAgentOptions options)
    {
        _subnets = subnets;
        _network = network;
        _masquerade = masquerade;
        _options = options;
        Config = config;
        Env = env;
        _renewer = new LeaseRenewer(subnets, network.Lease, LeaseTtl(network.Lease)) { Log = options.Log };
    }

    public NetworkConfig Config { get; }

    /// <summary>What was written to subnet.env.</summary>
    public SubnetEnv Env { get; }

    /// <summary>This node's lease, as last renewed.</summary>
    public SubnetLease Lease => _renewer.Current;

    /// <summary>The other nodes' leases as last applied.</summary>
    public IReadOnlyCollection<SubnetLease> AppliedLeases => Volatile.Read(ref _applied) ?? [];

    /// <summary>Ends when the agent is disposed, or faults when it cannot go on (its subnet was taken: <see cref="SubnetLostException"/>).</summary>
    public Task Completion => _run;

    /// <summary>Brings the node's overlay up; see the class summary. Nothing is left running if it throws.</summary>
    public static async Task<OverlayAgent> StartAsync(ISubnetManager subnets, BackendRegistry backends, OverlayAgentOptions options, CancellationToken cancellationToken = default)
    {
        var log = options.Log;
        var node = options.External.Namespace;
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.ResyncPeriod, TimeSpan.Zero, nameof(options.ResyncPeriod));

        // 1. The network config, from the store.
        var config = await subnets.GetNetworkConfigAsync(cancellationToken);
        log.LogInformation("network {Network}, subnets /{SubnetLen}, backend {Backend}", config.Network, config.SubnetLen, config.BackendType);

        // 2. The backend the config names, on this node's underlay device, after whatever another backend left here.
        var backend = backends.Create(config.BackendType, options.External, log);
        foreach (var leftover in BackendLeftovers.RemoveAllBut(config.BackendType, config, options.External))
            log.LogInformation("removed {Leftover} (the config now names {Backend})", leftover, config.BackendType);

        // 3. Register: the backend prepares the node and acquires the lease, asking for the subnet we had before.
        var previous = SubnetEnvReader.ReadPreviousSubnet(options.SubnetFile);
        var network = await backend.RegisterNetworkAsync(config,
            (request, ct) => subnets.AcquireLeaseAsync(request.PublicIp, request.BackendType, request.BackendData, previous, ct),
            cancellationToken);
        try
        {
            log.LogInformation("lease {Subnet} for {PublicIp} ({Backend}, MTU {Mtu})", network.Lease.Subnet, network.Lease.PublicIp, network.BackendType, network.Mtu);

            // 4. subnet.env, for the CNI plugin (temp file + rename).
            var env = new SubnetEnv(config.Network, network.Lease.Subnet, network.Mtu, options.IpMasq);
            await SubnetEnvWriter.WriteAsync(options.SubnetFile, env, cancellationToken);

            // 5. Forwarding, and masquerading of traffic leaving the pod network (or its absence), in the node's namespace.
            IpForwarding.Enable(node);
            var masquerade = new MasqueradeKeeper(new NftCli(node), config.Network, options.IpMasq);
            masquerade.Apply();

            // 6. Follow the other leases, keep ours, and resync, until disposed.
            var agent = new OverlayAgent(subnets, network, masquerade, config, env, options);
            agent._run = agent.RunAsync();
            return agent;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Waits until an applied set of leases satisfies <paramref name="predicate"/> (readiness for callers and tests, no polling).</summary>
    public async Task WaitUntilAppliedAsync(Func<IReadOnlyCollection<SubnetLease>, bool> predicate, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var signal = Volatile.Read(ref _appliedSignal).Task;
            if (predicate(AppliedLeases))
                return;
            if (_run.IsCompleted)
                throw new InvalidOperationException("the overlay agent has stopped", _run.Exception?.InnerException);
            await Task.WhenAny(signal, _run).WaitAsync(cancellationToken);
        }
    }

    /// <summary>Stops watching, renewing and resyncing, and releases the node's devices' owner; the lease stays in the store until its TTL.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _run;
        }
        catch (Exception e)
        {
            _options.Log.LogError(e, "stopped after a failure: {Error}", e.Message);
        }
        _network.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        await Task.Yield();
        var watch = WatchAndApplyAsync(_stop.Token);
        var renew = RenewAsync(_stop.Token);
        var resync = ResyncAsync(_stop.Token);
        var first = await Task.WhenAny(watch, renew, resync, _network.Failure);
        await _stop.CancelAsync();
        if (first == _network.Failure)
        {
            _options.Log.LogError(first.Exception?.InnerException, "the data path failed: {Error}", first.Exception?.InnerException?.Message);
            await Task.WhenAll(watch, renew, resync);
            await first; // the agent's Completion faults with it
        }
        await Task.WhenAll(watch, renew, resync);
    }

    /// <summary>Every resync period, <see cref="Resync"/>; it never throws, so this ends only when the agent stops.</summary>
    private async Task ResyncAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.ResyncPeriod);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
                Resync();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>
    /// Re-reads the node's kernel state and restores what is missing or changed, as flannel's route check does for
    /// host-gw routes but for everything the overlay set: forwarding, the masquerade table (or its absence), then the
    /// backend's device and every remote lease's entries (an Apply of the last applied leases: the network diffs
    /// against the kernel, so what is in place is left alone and only repairs are made and logged). A failed apply,
    /// by a lease event or an earlier resync, is retried here. Failures are logged as warnings; nothing is thrown.
    /// </summary>
    internal void Resync()
    {
        var log = _options.Log;
        var node = _options.External.Namespace;
        try
        {
            if (IpForwarding.Enable(node) is { } was)
                log.LogInformation("restored {Key}=1 (it was {Was})", IpForwarding.Key, was);
        }
        catch (Exception e) when (e is LinuxException or IOException)
        {
            log.LogWarning("resync: could not check {Key} in {Namespace}: {Error}", IpForwarding.Key, node.Describe(), e.Message);
        }
        try
        {
            if (_masquerade.Restore() is { } repair)
                log.LogInformation("{Repair}", repair);
        }
        catch (NftablesException e)
        {
            log.LogWarning("resync: could not check the masquerade table: {Error}", e.Message);
        }
        ReapplyLast();
    }

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        _renewer.Renewed += lease => _options.Log.LogInformation("lease {Subnet} renewed until {Expiration:u}", lease.Subnet, lease.Expiration);
        try
        {
            await _renewer.RunAsync(cancellationToken);
        }
        catch (SubnetLostException e)
        {
            _options.Log.LogError("lease {Subnet} lost: {Error}", Lease.Subnet, e.Message);
            throw;
        }
    }

    /// <summary>Watches every lease from a fresh list; after a failure, waits and starts over (a full resync).</summary>
    private async Task WatchAndApplyAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var leases = new Dictionary<System.Net.IPNetwork, SubnetLease>();
            try
            {
                await foreach (var batch in _subnets.WatchLeasesAsync(0, cancellationToken))
                {
                    foreach (var e in batch.Events)
                    {
                        if (e.Type == LeaseEventType.Added)
                            leases[e.Lease.Subnet] = e.Lease;
                        else
                            leases.Remove(e.Lease.Subnet);
                    }
                    Apply([.. leases.Values.Where(l => !l.Subnet.Equals(_network.Lease.Subnet))], resync: false);
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                _options.Log.LogWarning(e, "watching leases failed, resyncing: {Error}", e.Message);
                try
                {
                    await Task.Delay(_options.WatchRetryInterval, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// The resync's re-apply: the last set, read under the same lock as the watch's applies, so a batch applied meanwhile
    /// is never undone by an older set.
    /// </summary>
    private void ReapplyLast()
    {
        lock (_applyGate)
        {
            if (Volatile.Read(ref _applied) is { } others)
                Apply(others, resync: true);
            else
                _options.Log.LogDebug("resync: no lease list yet, the remote subnets' entries wait for it");
        }
    }

    /// <summary>Applies a set of other leases (a watch batch, or the last set again on a resync), one apply at a time.</summary>
    private void Apply(IReadOnlyCollection<SubnetLease> others, bool resync)
    {
        lock (_applyGate) // re-entered by ReapplyLast, which holds it already
        {
            try
            {
                _network.Apply(others);
            }
            catch (Exception e) when (e is BackendException or LinuxException)
            {
                // What could be applied was; the next resync (or lease event) recomputes everything and tries again.
                _options.Log.LogWarning("{Context}{Error}; retrying on the next resync", resync ? "resync: " : "", e.Message);
            }
            if (resync)
                return;
            LogChanges(AppliedLeases, others);
            Volatile.Write(ref _applied, others);
        }
        Interlocked.Exchange(ref _appliedSignal, NewSignal()).TrySetResult();
    }

    /// <summary>What changed, in flanneld's words, so an operator can follow nodes coming and going in the log.</summary>
    private void LogChanges(IReadOnlyCollection<SubnetLease> before, IReadOnlyCollection<SubnetLease> after)
    {
        var old = before.ToDictionary(l => l.Subnet);
        var now = after.ToDictionary(l => l.Subnet);
        foreach (var lease in after.Where(l => !old.TryGetValue(l.Subnet, out var was) || !was.PublicIp.Equals(l.PublicIp) || was.BackendType != l.BackendType))
            _options.Log.LogInformation("subnet added: {Subnet} via {PublicIp} ({Backend})", lease.Subnet, lease.PublicIp, lease.BackendType);
        foreach (var lease in before.Where(l => !now.ContainsKey(l.Subnet)))
            _options.Log.LogInformation("subnet removed: {Subnet} (was {PublicIp})", lease.Subnet, lease.PublicIp);
    }

    private static TimeSpan LeaseTtl(SubnetLease lease)
    {
        var left = lease.Expiration - DateTimeOffset.UtcNow;
        return left > TimeSpan.FromSeconds(1) ? left : TimeSpan.FromSeconds(1);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
