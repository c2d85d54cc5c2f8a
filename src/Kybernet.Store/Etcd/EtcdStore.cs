using System.Runtime.CompilerServices;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Kybernet.Store.Etcd;

/// <summary>
/// <see cref="IKeyValueStore"/> over an etcd v3 cluster: every contract feature is etcd's own
/// (revisions, txn compares, watch with prev_kv, compaction, leases), so this class only translates
/// keys (under <see cref="EtcdStoreOptions.KeyPrefix"/>), messages and errors.
/// </summary>
public sealed class EtcdStore : IKeyValueStore
{
    // Without it a watch served by a member cut off from the leader would stay open and silent;
    // with it etcd closes the stream (Unavailable) and we reconnect to a member that has one.
    private static readonly Metadata RequireLeader = new() { { "hasleader", "true" } };
    private static readonly TimeSpan MinBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

    private readonly EtcdClient _client;
    private readonly string _prefix;
    private readonly EtcdKeys _keys;
    private readonly TimeSpan _timeout;

    public EtcdStore(EtcdStoreOptions options)
    {
        Options = options;
        _prefix = EtcdStoreOptions.NormalizePrefix(options.KeyPrefix);
        _keys = new EtcdKeys(_prefix);
        _timeout = options.RequestTimeout;
        // dotnet-etcd balances round-robin over the endpoints and retries Unavailable calls on the others.
        _client = new EtcdClient(string.Join(',', options.Endpoints.Select(u => u.GetLeftPart(UriPartial.Authority))));
    }

    /// <summary>See <see cref="EtcdStoreOptions.Parse"/> for the accepted forms.</summary>
    public EtcdStore(string endpoints, string? keyPrefix = null) : this(EtcdStoreOptions.Parse(endpoints, keyPrefix))
    {
    }

    public EtcdStoreOptions Options { get; }

    public async Task<long> CurrentRevisionAsync(CancellationToken cancellationToken = default)
    {
        var (key, end) = _keys.Range(KeyRange.Prefix(""));
        var request = new RangeRequest { Key = key, RangeEnd = end, CountOnly = true };
        var response = await CallAsync("read revision", _prefix + "*", ct => _client.GetAsync(request, null, Deadline(), ct), cancellationToken);
        return response.Header.Revision;
    }

    public async Task<RangeResult> RangeAsync(KeyRange range, long revision = 0, long limit = 0, CancellationToken cancellationToken = default)
    {
        var (key, end) = _keys.Range(range);
        var request = new RangeRequest { Key = key, RangeEnd = end, Revision = revision, Limit = limit };
        try
        {
            var response = await CallAsync("range", _prefix + range, ct => _client.GetAsync(request, null, Deadline(), ct), cancellationToken);
            // etcd's header carries the current revision even for a read in the past; the contract wants the one read at.
            return new RangeResult(response.Kvs.Select(_keys.ToKeyValue).ToList(), response.Count, revision > 0 ? revision : response.Header.Revision, response.More);
        }
        catch (EtcdStoreException e) when (e.Error is EtcdError.Compacted or EtcdError.FutureRevision)
        {
            throw await RevisionErrorAsync(e, revision, cancellationToken);
        }
    }

    public async Task<TxnResult> TxnAsync(Txn txn, CancellationToken cancellationToken = default)
    {
        var request = new TxnRequest();
        request.Compare.AddRange(txn.Compares.Select(ToEtcd));
        request.Success.AddRange(txn.Success.Select(ToEtcd));
        request.Failure.AddRange(txn.Failure.Select(ToEtcd));
        try
        {
            var response = await CallAsync("txn", DescribeKeys(txn), ct => _client.TransactionAsync(request, null, Deadline(), ct), cancellationToken);
            return new TxnResult(response.Succeeded, response.Header.Revision, response.Responses.Select(FromEtcd).ToList());
        }
        catch (EtcdStoreException e) when (e.Error == EtcdError.LeaseNotFound)
        {
            var lease = txn.Success.Concat(txn.Failure).OfType<TxnOp.Put>().FirstOrDefault(p => p.Lease != 0)?.Lease ?? 0;
            throw new LeaseNotFoundException(lease);
        }
    }

    public async IAsyncEnumerable<WatchEvent> WatchAsync(KeyRange range, long fromRevision, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (key, end) = _keys.Range(range);
        var what = _prefix + range;
        // The revision to (re)start from: after a broken stream we resume right after the last event seen.
        var next = fromRevision;
        var backoff = MinBackoff;
        while (!cancellationToken.IsCancellationRequested)
        {
            using var call = _client.GetConnection().WatchClient.Watch(RequireLeader, cancellationToken: cancellationToken);
            var create = new WatchCreateRequest { Key = key, RangeEnd = end, StartRevision = next, PrevKv = true };
            var step = await NextAsync(call, new WatchRequest { CreateRequest = create }, cancellationToken);
            while (step.Response is { } response)
            {
                backoff = MinBackoff;
                if (response.CompactRevision != 0)
                {
                    throw new CompactedException(next, response.CompactRevision);
                }
                if (response.Canceled)
                {
                    throw new EtcdStoreException("watch", what, EtcdError.Other, $"etcd cancelled the watch: {response.CancelReason}", null);
                }
                if (response.Created && next == 0)
                {
                    // "From now on" must mean the same revision after a reconnect.
                    next = response.Header.Revision + 1;
                }
                foreach (var ev in response.Events)
                {
                    next = ev.Kv.ModRevision + 1;
                    yield return _keys.ToWatchEvent(ev);
                }
                step = await NextAsync(call, null, cancellationToken);
            }
            if (step.Cancelled)
            {
                yield break;
            }
            // The stream broke (member killed, leader lost, connection reset): reconnect, maybe to another member.
            Options.Log.LogWarning("etcd watch of {Range} broke ({Reason}): resuming from revision {Revision} in {Backoff} ms",
                what, step.Failure?.Message ?? "the server closed the stream", next, backoff.TotalMilliseconds);
            try
            {
                await Task.Delay(backoff, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                yield break;
            }
            backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
        }
    }

    public async Task CompactAsync(long revision, CancellationToken cancellationToken = default)
    {
        // Physical: return only once the old revisions are gone, so the store is in one state afterwards.
        var request = new CompactionRequest { Revision = revision, Physical = true };
        try
        {
            await CallAsync("compact", $"revision {revision}", ct => _client.CompactAsync(request, null, Deadline(), ct), cancellationToken);
        }
        catch (EtcdStoreException e) when (e.Error is EtcdError.Compacted or EtcdError.FutureRevision)
        {
            throw await RevisionErrorAsync(e, revision, cancellationToken);
        }
    }

    public async Task<long> GrantLeaseAsync(long ttlSeconds, CancellationToken cancellationToken = default)
    {
        var request = new LeaseGrantRequest { TTL = ttlSeconds };
        var response = await CallAsync("grant lease", $"ttl {ttlSeconds}s", ct => _client.LeaseGrantAsync(request, null, Deadline(), ct), cancellationToken);
        return response.ID;
    }

    public async Task<long> KeepAliveAsync(long leaseId, CancellationToken cancellationToken = default)
    {
        var response = await CallAsync("keep lease alive", $"lease {leaseId:x}", async ct =>
        {
            // etcd only has a streaming keep-alive: one request, one answer, done.
            using var call = _client.GetConnection().LeaseClient.LeaseKeepAlive(null, Deadline(), ct);
            await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = leaseId }, ct);
            await call.RequestStream.CompleteAsync();
            return await call.ResponseStream.MoveNext(ct) ? call.ResponseStream.Current : null;
        }, cancellationToken);
        // etcd answers an unknown or expired lease with TTL 0 rather than an error.
        return response is { TTL: > 0 } ? response.TTL : throw new LeaseNotFoundException(leaseId);
    }

    public async Task RevokeLeaseAsync(long leaseId, CancellationToken cancellationToken = default)
    {
        var request = new LeaseRevokeRequest { ID = leaseId };
        try
        {
            await CallAsync("revoke lease", $"lease {leaseId:x}", ct => _client.LeaseRevokeAsync(request, null, Deadline(), ct), cancellationToken);
        }
        catch (EtcdStoreException e) when (e.Error == EtcdError.LeaseNotFound)
        {
            // The contract: revoking an unknown (or already expired) lease is not an error.
        }
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    private DateTime Deadline() => DateTime.UtcNow + _timeout;

    /// <summary>
    /// Runs one etcd call; etcd's errors come back as <see cref="EtcdStoreException"/> naming the
    /// operation and key. While members fail over (a killed member refuses connections, the others
    /// elect a leader), calls that certainly did not take effect are tried again for a few seconds;
    /// a call that may have been applied (a timeout) is never repeated.
    /// </summary>
    private static async Task<T> CallAsync<T>(string operation, string key, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        var giveUp = DateTime.UtcNow + FailoverWindow;
        var pause = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            try
            {
                return await call(cancellationToken);
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested && NeverApplied(e) && DateTime.UtcNow < giveUp)
            {
                await Task.Delay(pause, cancellationToken);
                pause = TimeSpan.FromTicks(Math.Min(pause.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
            }
            catch (RpcException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw EtcdStoreException.From(operation, key, e);
            }
        }
    }

    private static readonly TimeSpan FailoverWindow = TimeSpan.FromSeconds(10);

    /// <summary>The request never reached a member (connection refused), or a member refused it for want of a leader.</summary>
    private static bool NeverApplied(RpcException e) =>
        e.StatusCode == StatusCode.Unavailable
        && (e.Status.Detail.Contains("Error starting gRPC call", StringComparison.Ordinal)
            || e.Status.Detail.Contains("no leader", StringComparison.Ordinal)
            || e.Status.Detail.Contains("leader changed", StringComparison.Ordinal));

    /// <summary>The contract's exceptions for a revision etcd refused, with the numbers etcd's message leaves out.</summary>
    private async Task<Exception> RevisionErrorAsync(EtcdStoreException e, long revision, CancellationToken cancellationToken)
    {
        if (e.Error == EtcdError.FutureRevision)
        {
            return new FutureRevisionException(revision, await CurrentRevisionAsync(cancellationToken));
        }
        return new CompactedException(revision, await CompactRevisionAsync(cancellationToken));
    }

    /// <summary>
    /// etcd has no call that reports its compaction revision, but a watch from revision 1 is refused
    /// with it: that is how clientv3 users find it too.
    /// </summary>
    private async Task<long> CompactRevisionAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_timeout);
        var (key, end) = _keys.Range(KeyRange.Prefix(""));
        using var call = _client.GetConnection().WatchClient.Watch(cancellationToken: timeout.Token);
        var step = await NextAsync(call, new WatchRequest { CreateRequest = new WatchCreateRequest { Key = key, RangeEnd = end, StartRevision = 1 } }, timeout.Token);
        while (step.Response is { } response)
        {
            if (response.CompactRevision != 0 || response.Canceled || response.Events.Count > 0)
            {
                return response.CompactRevision;
            }
            step = await NextAsync(call, null, timeout.Token);
        }
        return 0;
    }

    /// <summary>A response, or none: <see cref="Cancelled"/> by us, or the stream broke (<see cref="Failure"/> says how, when it says).</summary>
    private readonly record struct WatchStep(WatchResponse? Response, bool Cancelled, Exception? Failure = null);

    /// <summary>
    /// Sends <paramref name="request"/> if any, then reads the next response. A broken stream is a
    /// step without response (the caller reconnects); our own cancellation is reported as such.
    /// </summary>
    private static async Task<WatchStep> NextAsync(AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call, WatchRequest? request, CancellationToken cancellationToken)
    {
        try
        {
            if (request != null)
            {
                await call.RequestStream.WriteAsync(request, cancellationToken);
            }
            return await call.ResponseStream.MoveNext(cancellationToken) ? new(call.ResponseStream.Current, false) : new(null, false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return new(null, true);
        }
        catch (RpcException e) when (cancellationToken.IsCancellationRequested || e.StatusCode == StatusCode.Cancelled)
        {
            return new(null, cancellationToken.IsCancellationRequested);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown or StatusCode.DeadlineExceeded or StatusCode.Aborted or StatusCode.ResourceExhausted)
        {
            return new(null, false, e);
        }
        catch (IOException e)
        {
            return new(null, false, e);
        }
    }

    private Etcdserverpb.Compare ToEtcd(Compare compare)
    {
        var c = new Etcdserverpb.Compare
        {
            Key = _keys.Full(compare.Key),
            Result = compare.Op switch
            {
                CompareOp.Equal => Etcdserverpb.Compare.Types.CompareResult.Equal,
                CompareOp.NotEqual => Etcdserverpb.Compare.Types.CompareResult.NotEqual,
                CompareOp.Less => Etcdserverpb.Compare.Types.CompareResult.Less,
                CompareOp.Greater => Etcdserverpb.Compare.Types.CompareResult.Greater,
                _ => throw new ArgumentOutOfRangeException(nameof(compare), compare.Op, "compare op"),
            },
        };
        switch (compare.Target)
        {
            case CompareTarget.ModRevision: c.Target = Etcdserverpb.Compare.Types.CompareTarget.Mod; c.ModRevision = compare.Number; break;
            case CompareTarget.CreateRevision: c.Target = Etcdserverpb.Compare.Types.CompareTarget.Create; c.CreateRevision = compare.Number; break;
            case CompareTarget.Version: c.Target = Etcdserverpb.Compare.Types.CompareTarget.Version; c.Version = compare.Number; break;
            case CompareTarget.Value: c.Target = Etcdserverpb.Compare.Types.CompareTarget.Value; c.Value = ByteString.CopyFrom(compare.Value.Span); break;
            default: throw new ArgumentOutOfRangeException(nameof(compare), compare.Target, "compare target");
        }
        return c;
    }

    private RequestOp ToEtcd(TxnOp op)
    {
        switch (op)
        {
            case TxnOp.Put put:
                return new RequestOp { RequestPut = new PutRequest { Key = _keys.Full(put.Key), Value = ByteString.CopyFrom(put.Value.Span), Lease = put.Lease, PrevKv = true } };
            case TxnOp.Delete delete:
                {
                    var (key, end) = _keys.Range(delete.Range);
                    return new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = key, RangeEnd = end, PrevKv = true } };
                }
            case TxnOp.Get get:
                {
                    var (key, end) = _keys.Range(get.Range);
                    return new RequestOp { RequestRange = new RangeRequest { Key = key, RangeEnd = end } };
                }
            default:
                throw new ArgumentOutOfRangeException(nameof(op), op, "txn op");
        }
    }

    private TxnOpResult FromEtcd(ResponseOp response) => response.ResponseCase switch
    {
        ResponseOp.ResponseOneofCase.ResponsePut => new TxnOpResult.Put(response.ResponsePut.PrevKv is { } prev ? _keys.ToKeyValue(prev) : null),
        ResponseOp.ResponseOneofCase.ResponseDeleteRange => new TxnOpResult.Delete(response.ResponseDeleteRange.PrevKvs.Select(_keys.ToKeyValue).ToList()),
        ResponseOp.ResponseOneofCase.ResponseRange => new TxnOpResult.Get(response.ResponseRange.Kvs.Select(_keys.ToKeyValue).ToList()),
        _ => throw new InvalidOperationException($"etcd txn: unexpected response {response.ResponseCase}"),
    };

    /// <summary>The keys a transaction touches, for its error messages.</summary>
    private string DescribeKeys(Txn txn)
    {
        var keys = txn.Compares.Select(c => c.Key)
            .Concat(txn.Success.Concat(txn.Failure).Select(op => op switch
            {
                TxnOp.Put p => p.Key,
                TxnOp.Delete d => d.Range.ToString(),
                TxnOp.Get g => g.Range.ToString(),
                _ => "?",
            }))
            .Distinct()
            .Select(k => _prefix + k)
            .ToList();
        return keys.Count <= 3 ? string.Join(", ", keys) : string.Join(", ", keys.Take(3)) + $" and {keys.Count - 3} more";
    }
}
