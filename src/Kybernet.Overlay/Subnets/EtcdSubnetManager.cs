using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Kybernet.Store;

namespace Kybernet.Overlay.Subnets;

/// <summary>
/// Subnet leases kept in an etcd-semantics store in flannel's layout:
/// PREFIX/config holds the network config JSON, PREFIX/subnets/10.244.1.0-24 one node's lease
/// (<see cref="LeaseAttrs"/> JSON) attached to a store lease of <see cref="EtcdSubnetManagerOptions.LeaseTtl"/>.
/// <para>
/// Acquire: the subnet already held by our public IP (a restarted node keeps its subnet), else the
/// previous subnet from subnet.env if free, else the <b>lowest</b> free subnet (flannel picks at random;
/// lowest-first makes addresses predictable, and the CAS below keeps it correct under contention).
/// Every new key is created with a Compare.Absent transaction, so two nodes never get one subnet; a lost
/// race re-reads the leases and tries again (each loss means another node made progress).
/// </para>
/// <para>
/// Expiry: the key lives as long as its store lease. Renew restarts the store lease's TTL (keep-alive);
/// if the key has already expired, renew re-creates it (again with Compare.Absent) or, if another node
/// took the subnet meanwhile, throws <see cref="SubnetLostException"/>. Expiry deletes the key, and
/// watchers see it Removed.
/// </para>
/// </summary>
public sealed class EtcdSubnetManager : ISubnetManager
{
    private readonly IKeyValueStore _store;
    private readonly string _configKey;
    private readonly string _subnetsPrefix;
    private readonly long _ttlSeconds;
    private volatile string? _ownKey;

    public EtcdSubnetManager(IKeyValueStore store, EtcdSubnetManagerOptions? options = null)
    {
        _store = store;
        Options = options ?? new EtcdSubnetManagerOptions();
        var prefix = Options.Prefix.TrimEnd('/');
        _configKey = prefix + "/config";
        _subnetsPrefix = prefix + "/subnets/";
        _ttlSeconds = (long)Math.Ceiling(Options.LeaseTtl.TotalSeconds);
        if (_ttlSeconds < 1)
        {
            throw new ArgumentException($"lease TTL {Options.LeaseTtl} is under a second", nameof(options));
        }
    }

    public EtcdSubnetManagerOptions Options { get; }

    /// <summary>The store key of a subnet's lease.</summary>
    public string KeyOf(IPNetwork subnet) => _subnetsPrefix + SubnetKey.Format(subnet);

    public async Task<NetworkConfig> GetNetworkConfigAsync(CancellationToken cancellationToken = default)
    {
        var kv = await _store.GetAsync(_configKey, cancellationToken: cancellationToken)
            ?? throw new NetworkConfigException("", $"no network config at {_configKey} (put one there, e.g. {{\"Network\":\"10.244.0.0/16\",\"Backend\":{{\"Type\":\"vxlan\"}}}})");
        return NetworkConfigParser.Parse(Encoding.UTF8.GetString(kv.Value.Span));
    }

    public async Task<SubnetLease> AcquireLeaseAsync(IPAddress publicIp, string backendType, JsonObject backendData, IPNetwork? previousSubnet = null, CancellationToken cancellationToken = default)
    {
        var config = await GetNetworkConfigAsync(cancellationToken);
        var attrs = new LeaseAttrs(publicIp, backendType, backendData);
        var value = attrs.ToJson();
        // Each lost race means another node took a subnet, so this many attempts cannot all be lost
        // unless leases churn the whole time.
        var attempts = SubnetRange.Count(config) + 10;
        var storeLease = await _store.GrantLeaseAsync(_ttlSeconds, cancellationToken);
        var start = DateTimeOffset.UtcNow;
        try
        {
            for (var attempt = 0; attempt < attempts; attempt++)
            {
                var leases = await ListAsync(cancellationToken);

                // 1. The subnet our public IP already holds: take it back with our new attributes.
                var mine = leases.Rows.FirstOrDefault(r => r.Attrs.PublicIp.Equals(publicIp));
                if (mine is not null)
                {
                    if (!SubnetRange.Contains(config, mine.Subnet))
                    {
                        // Left over from an older config: give it up and pick one that fits.
                        await _store.DeleteAsync(mine.Kv.Key, mine.Kv.ModRevision, cancellationToken);
                        continue;
                    }
                    var taken = await _store.TxnAsync(new Txn(
                        [Compare.ModRevision(mine.Kv.Key, CompareOp.Equal, mine.Kv.ModRevision)],
                        [new TxnOp.Put(mine.Kv.Key, value, storeLease)], []), cancellationToken);
                    if (!taken.Succeeded)
                    {
                        continue;
                    }
                    if (mine.Kv.Lease != 0 && mine.Kv.Lease != storeLease)
                    {
                        // Nothing is attached to the old store lease any more; do not leave it to time out.
                        await _store.RevokeLeaseAsync(mine.Kv.Lease, cancellationToken);
                    }
                    return Own(mine.Subnet, attrs, start);
                }

                // 2. The subnet subnet.env remembers, if still ours to take; 3. else the lowest free one.
                var used = leases.Taken;
                IPNetwork? candidate = previousSubnet is { } previous && SubnetRange.Contains(config, previous) && !used.Contains(previous)
                    ? previous
                    : SubnetRange.Subnets(config).Where(s => !used.Contains(s)).Select(s => (IPNetwork?)s).FirstOrDefault();
                if (candidate is not { } subnet)
                {
                    throw new SubnetsExhaustedException(
                        $"no free subnet for {publicIp}: all {SubnetRange.Count(config)} /{config.SubnetLen} subnets from {config.SubnetMin} to {config.SubnetMax} of {config.Network} are leased");
                }
                if (await _store.CreateAsync(KeyOf(subnet), value, storeLease, cancellationToken) is not null)
                {
                    return Own(subnet, attrs, start);
                }
            }
        }
        catch
        {
            await _store.RevokeLeaseAsync(storeLease, CancellationToken.None);
            throw;
        }
        await _store.RevokeLeaseAsync(storeLease, CancellationToken.None);
        throw new InvalidOperationException($"could not acquire a subnet for {publicIp}: lost {attempts} races in a row under {_subnetsPrefix}");
    }

    public async Task<SubnetLease> RenewLeaseAsync(SubnetLease lease, CancellationToken cancellationToken = default)
    {
        var key = KeyOf(lease.Subnet);
        var start = DateTimeOffset.UtcNow;
        var kv = await _store.GetAsync(key, cancellationToken: cancellationToken);
        if (kv is not null)
        {
            var attrs = LeaseAttrs.TryParse(kv.Value.Span);
            if (attrs is null || !attrs.PublicIp.Equals(lease.PublicIp))
            {
                throw new SubnetLostException(lease.Subnet, $"renew {key}: the subnet is now held by {attrs?.PublicIp.ToString() ?? "something else"}, not {lease.PublicIp}");
            }
            if (kv.Lease != 0)
            {
                try
                {
                    var ttl = await _store.KeepAliveAsync(kv.Lease, cancellationToken);
                    return lease with { Expiration = start + TimeSpan.FromSeconds(ttl) };
                }
                catch (LeaseNotFoundException)
                {
                    // Expired between the read and the keep-alive: the key is gone too; re-create it below.
                }
            }
        }

        // Expired (or stored without a lease): put it back under a new store lease, unless someone else took it.
        var storeLease = await _store.GrantLeaseAsync(_ttlSeconds, cancellationToken);
        var compare = kv is { Lease: 0 } ? Compare.ModRevision(key, CompareOp.Equal, kv.ModRevision) : Compare.Absent(key);
        var value = new LeaseAttrs(lease.PublicIp, lease.BackendType, lease.BackendData).ToJson();
        var result = await _store.TxnAsync(new Txn([compare], [new TxnOp.Put(key, value, storeLease)], []), cancellationToken);
        if (!result.Succeeded)
        {
            await _store.RevokeLeaseAsync(storeLease, CancellationToken.None);
            throw new SubnetLostException(lease.Subnet, $"renew {key}: the lease expired and the subnet was taken by another node");
        }
        _ownKey = key;
        return lease with { Expiration = start + TimeSpan.FromSeconds(_ttlSeconds) };
    }

    public async Task ReleaseLeaseAsync(SubnetLease lease, CancellationToken cancellationToken = default)
    {
        var key = KeyOf(lease.Subnet);
        var kv = await _store.GetAsync(key, cancellationToken: cancellationToken);
        if (kv is null || LeaseAttrs.TryParse(kv.Value.Span) is not { } attrs || !attrs.PublicIp.Equals(lease.PublicIp))
        {
            return;
        }
        if (await _store.DeleteAsync(key, kv.ModRevision, cancellationToken) is not null && kv.Lease != 0)
        {
            await _store.RevokeLeaseAsync(kv.Lease, cancellationToken);
        }
        if (_ownKey == key)
        {
            _ownKey = null;
        }
    }

    public async IAsyncEnumerable<LeaseEventBatch> WatchLeasesAsync(long fromRevision = 0, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        // What this watcher has reported as present, to report removals after a compaction forces a re-list.
        var known = new Dictionary<string, SubnetLease>(StringComparer.Ordinal);
        var next = fromRevision;
        var relist = fromRevision == 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (relist)
            {
                var listed = await ListAsync(cancellationToken);
                var events = new List<LeaseEvent>();
                var present = listed.Rows.Where(r => r.Kv.Key != _ownKey).ToDictionary(r => r.Kv.Key, r => r.Lease, StringComparer.Ordinal);
                foreach (var (key, gone) in known.Where(k => !present.ContainsKey(k.Key)).ToList())
                {
                    known.Remove(key);
                    events.Add(new LeaseEvent(LeaseEventType.Removed, gone));
                }
                foreach (var (key, lease) in present)
                {
                    known[key] = lease;
                    events.Add(new LeaseEvent(LeaseEventType.Added, lease));
                }
                next = listed.Revision + 1;
                relist = false;
                yield return new LeaseEventBatch(events, listed.Revision);
            }

            // Our own token as well as the caller's: a consumer that stops early must not leave a MoveNext running.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var watch = _store.WatchAsync(KeyRange.Prefix(_subnetsPrefix), next, stop.Token).GetAsyncEnumerator(stop.Token);
            var pending = StepAsync(watch);
            try
            {
                while (true)
                {
                    var step = await pending;
                    if (step == Step.Compacted)
                    {
                        relist = true;
                        break;
                    }
                    if (step == Step.End)
                    {
                        yield break;
                    }
                    // Everything the store has already delivered goes into one batch (a transaction's events arrive together).
                    var batch = new List<LeaseEvent>();
                    var revision = watch.Current.Kv.ModRevision;
                    Add(batch, known, watch.Current);
                    pending = StepAsync(watch);
                    while (pending.IsCompletedSuccessfully && pending.Result == Step.Event)
                    {
                        revision = watch.Current.Kv.ModRevision;
                        Add(batch, known, watch.Current);
                        pending = StepAsync(watch);
                    }
                    next = revision + 1;
                    if (batch.Count > 0)
                    {
                        yield return new LeaseEventBatch(batch, revision);
                    }
                }
            }
            finally
            {
                stop.Cancel();
                await pending;
                await watch.DisposeAsync();
            }
        }
    }

    private enum Step { Event, End, Compacted }

    private static async Task<Step> StepAsync(IAsyncEnumerator<WatchEvent> watch)
    {
        try
        {
            return await watch.MoveNextAsync() ? Step.Event : Step.End;
        }
        catch (CompactedException)
        {
            return Step.Compacted;
        }
        catch (OperationCanceledException)
        {
            return Step.End;
        }
    }

    private void Add(List<LeaseEvent> batch, Dictionary<string, SubnetLease> known, WatchEvent ev)
    {
        var key = ev.Kv.Key;
        if (key == _ownKey || !SubnetKey.TryParse(key[_subnetsPrefix.Length..], out var subnet))
        {
            return;
        }
        if (ev.Type == WatchEventType.Put)
        {
            if (LeaseAttrs.TryParse(ev.Kv.Value.Span) is { } attrs)
            {
                var lease = ToLease(subnet, attrs);
                known[key] = lease;
                batch.Add(new LeaseEvent(LeaseEventType.Added, lease));
            }
            return;
        }
        known.Remove(key, out var previous);
        var removed = previous
            ?? (ev.PrevKv is { } prev && LeaseAttrs.TryParse(prev.Value.Span) is { } prevAttrs ? ToLease(subnet, prevAttrs) : null)
            ?? new SubnetLease(subnet, IPAddress.Any, "", new JsonObject(), DateTimeOffset.UtcNow);
        batch.Add(new LeaseEvent(LeaseEventType.Removed, removed with { Expiration = DateTimeOffset.UtcNow }));
    }

    private SubnetLease Own(IPNetwork subnet, LeaseAttrs attrs, DateTimeOffset start)
    {
        _ownKey = KeyOf(subnet);
        return new SubnetLease(subnet, attrs.PublicIp, attrs.BackendType, attrs.BackendData, start + TimeSpan.FromSeconds(_ttlSeconds));
    }

    /// <summary>
    /// Another node's lease as read from the store. The store does not say how much of its TTL is left, so
    /// <see cref="SubnetLease.Expiration"/> is an upper bound: now + the TTL.
    /// </summary>
    private SubnetLease ToLease(IPNetwork subnet, LeaseAttrs attrs) =>
        new(subnet, attrs.PublicIp, attrs.BackendType, attrs.BackendData, DateTimeOffset.UtcNow + TimeSpan.FromSeconds(_ttlSeconds));

    private sealed record Row(IPNetwork Subnet, LeaseAttrs Attrs, KeyValue Kv, SubnetLease Lease);

    /// <summary>The leases under PREFIX/subnets/, and every subnet with a key there (a damaged value still holds its subnet).</summary>
    private async Task<(IReadOnlyList<Row> Rows, HashSet<IPNetwork> Taken, long Revision)> ListAsync(CancellationToken cancellationToken)
    {
        var result = await _store.RangeAsync(KeyRange.Prefix(_subnetsPrefix), cancellationToken: cancellationToken);
        var rows = new List<Row>();
        var taken = new HashSet<IPNetwork>();
        foreach (var kv in result.Kvs)
        {
            if (SubnetKey.TryParse(kv.Key[_subnetsPrefix.Length..], out var key))
            {
                taken.Add(key);
            }
            // Keys that are not flannel leases (another tool's, or damaged) are not ours to judge: skip them.
            if (SubnetKey.TryParse(kv.Key[_subnetsPrefix.Length..], out var subnet) && LeaseAttrs.TryParse(kv.Value.Span) is { } attrs)
            {
                rows.Add(new Row(subnet, attrs, kv, ToLease(subnet, attrs)));
            }
        }
        return (rows, taken, result.Revision);
    }
}
