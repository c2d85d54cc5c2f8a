using Kybernet.Linux.Nftables;
using Kybernet.Overlay.Backends;
using Kybernet.Overlay.Subnets;
using Microsoft.Extensions.Logging;

namespace Kybernet.Overlay.Agent;

/// <summary>
/// One node's overlay (flanneld): <see cref="StartAsync"/> reads top to bottom as the node comes up, and returns
/// once the node has its lease, subnet.env, forwarding and masquerading; from then on it follows the other
/// nodes' leases (every batch applied whole, level-triggered) and renews its own in the background.
/// <see cref="DisposeAsync"/> stops both and leaves the lease in the store, so a restarted agent gets the
/// same subnet back and existing pods keep their addresses.
/// </summary>
public sealed class OverlayAgent : IAsyncDisposable
{
    private readonly ISubnetManager _subnets;
    private readonly INetwork _network;
    private readonly OverlayAgentOptions _options;
    private readonly LeaseRenewer _renewer;
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _appliedSignal = NewSignal();
    private IReadOnlyCollection<SubnetLease> _applied = [];
    private Task _run = Task.CompletedTask;

    private OverlayAgent(ISubnetManager subnets, INetwork network, NetworkConfig config, SubnetEnv env, OverlayAgentOptions options)
    {
        _subnets = subnets;
        _network = network;
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
    public IReadOnlyCollection<SubnetLease> AppliedLeases => Volatile.Read(ref _applied);

    /// <summary>Ends when the agent is disposed, or faults when it cannot go on (its subnet was taken: <see cref="SubnetLostException"/>).</summary>
    public Task Completion => _run;

    /// <summary>Brings the node's overlay up; see the class summary. Nothing is left running if it throws.</summary>
    public static async Task<OverlayAgent> StartAsync(ISubnetManager subnets, BackendRegistry backends, OverlayAgentOptions options, CancellationToken cancellationToken = default)
    {
        var log = options.Log;
        var node = options.External.Namespace;

        // 1. The network config, from the store.
        var config = await subnets.GetNetworkConfigAsync(cancellationToken);
        log.LogInformation("network {Network}, subnets /{SubnetLen}, backend {Backend}", config.Network, config.SubnetLen, config.BackendType);

        // 2. The backend the config names, on this node's underlay device, after whatever another backend left here.
        var backend = backends.Create(config.BackendType, options.External);
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
            new NftCli(node).Apply(options.IpMasq ? PodNetworkMasquerade.Ensure(config.Network) : PodNetworkMasquerade.Remove());

            // 6. Follow the other leases and keep ours, until disposed.
            var agent = new OverlayAgent(subnets, network, config, env, options);
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

    /// <summary>Stops watching and renewing and releases the node's devices' owner; the lease stays in the store until its TTL.</summary>
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
        var first = await Task.WhenAny(watch, renew, _network.Failure);
        await _stop.CancelAsync();
        if (first == _network.Failure)
        {
            _options.Log.LogError(first.Exception?.InnerException, "the data path failed: {Error}", first.Exception?.InnerException?.Message);
            await Task.WhenAll(watch, renew);
            await first; // the agent's Completion faults with it
        }
        await Task.WhenAll(watch, renew);
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
                    Apply([.. leases.Values.Where(l => !l.Subnet.Equals(_network.Lease.Subnet))]);
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

    private void Apply(IReadOnlyCollection<SubnetLease> others)
    {
        try
        {
            _network.Apply(others);
        }
        catch (BackendException e)
        {
            // The usable leases were applied; the next batch recomputes everything.
            _options.Log.LogWarning("{Error}", e.Message);
        }
        LogChanges(Volatile.Read(ref _applied), others);
        Volatile.Write(ref _applied, others);
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
