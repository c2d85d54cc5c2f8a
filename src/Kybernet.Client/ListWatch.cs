using System.Runtime.CompilerServices;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Client;

/// <summary>What a <see cref="ListWatch{T}"/> reports: the whole set, or changes, each with the resourceVersion it brings the reader up to.</summary>
public abstract record WatchUpdate<T>(string ResourceVersion);

/// <summary>Every object, as listed (first, and again whenever the watch could not resume): replace what you knew with this.</summary>
public sealed record Listed<T>(IReadOnlyList<T> Items, string ResourceVersion) : WatchUpdate<T>(ResourceVersion);

/// <summary>Changes in the order the server sent them; the ones that had arrived together come in one update.</summary>
public sealed record Changed<T>(IReadOnlyList<WatchChange<T>> Changes, string ResourceVersion) : WatchUpdate<T>(ResourceVersion);

/// <summary>One watch event: Added, Modified or Deleted (bookmarks only move the resourceVersion and are not reported).</summary>
public readonly record struct WatchChange<T>(WatchEventType Type, T Object);

/// <summary>
/// client-go's reflector: list, then watch from the list's resourceVersion, and never lose a change. A watch that
/// ends (the server's timeout) or breaks (connection dropped, server restarted) is resumed from the last
/// resourceVersion seen (bookmarks included); when it cannot be resumed (410 Gone: compacted, or an event the client
/// could not read) everything is listed again and reported as <see cref="Listed{T}"/>. Failed calls are retried with
/// a capped backoff, forever, until cancelled. Readers are level-triggered: a <see cref="Listed{T}"/> is the truth.
/// </summary>
public sealed class ListWatch<T>(string description, ListWatch<T>.Lister list, ListWatch<T>.Watcher watch) where T : IKubernetesObject<V1ObjectMeta>
{
    public delegate Task<(IList<T> Items, string ResourceVersion)> Lister(CancellationToken cancellationToken);

    public delegate IAsyncEnumerable<(WatchEventType Type, T Object)> Watcher(string resourceVersion, int timeoutSeconds, Action<Exception> onError, CancellationToken cancellationToken);

    /// <summary>Failures (warnings) and resumptions (debug); nothing by default.</summary>
    public ILogger Log { get; init; } = NullLogger.Instance;

    /// <summary>The first wait after a failure; doubled per failure in a row up to <see cref="MaxRetryInterval"/>.</summary>
    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan MaxRetryInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The updates until cancelled (then the sequence ends). With <paramref name="fromResourceVersion"/> null it
    /// starts with a list; with one, it watches the changes after it (and lists only if that version is gone).
    /// </summary>
    public async IAsyncEnumerable<WatchUpdate<T>> RunAsync(string? fromResourceVersion = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Bounded: a slow reader holds the watch back instead of buffering without end.
        var channel = Channel.CreateBounded<WatchUpdate<T>>(new BoundedChannelOptions(16) { SingleReader = true, SingleWriter = true });
        var producer = Task.Run(() => ProduceAsync(fromResourceVersion, channel.Writer, stop.Token), CancellationToken.None);
        try
        {
            while (true)
            {
                bool more;
                try
                {
                    more = await channel.Reader.WaitToReadAsync(cancellationToken);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    yield break;
                }
                if (!more)
                    yield break;
                while (channel.Reader.TryRead(out var update))
                    yield return update;
            }
        }
        finally
        {
            await stop.CancelAsync();
            await producer;
        }
    }

    private async Task ProduceAsync(string? resourceVersion, ChannelWriter<WatchUpdate<T>> writer, CancellationToken ct)
    {
        var failures = 0;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (resourceVersion is null)
                {
                    try
                    {
                        var (items, listed) = await list(ct);
                        await writer.WriteAsync(new Listed<T>([.. items], listed), ct);
                        resourceVersion = listed;
                        failures = 0;
                    }
                    catch (Exception e) when (!ct.IsCancellationRequested)
                    {
                        Log.LogWarning("{What}: list failed (retrying): {Error}", description, Describe(e));
                        await Task.Delay(Backoff(++failures), ct);
                        continue;
                    }
                }

                var (next, progressed, error) = await WatchOnceAsync(resourceVersion, writer, ct);
                if (ct.IsCancellationRequested)
                    break; // stopped: how the watch broke off (often an aborted read) is not a failure
                if (progressed)
                    failures = 0;
                if (next is null)
                    Log.LogInformation("{What}: the watch cannot resume from resourceVersion {ResourceVersion} ({Error}): listing again", description, resourceVersion, Describe(error!));
                else if (error is not null)
                {
                    Log.LogWarning("{What}: watch failed (resuming from resourceVersion {ResourceVersion}): {Error}", description, next, Describe(error));
                    await Task.Delay(Backoff(++failures), ct);
                }
                resourceVersion = next;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        finally
        {
            writer.TryComplete();
        }
    }

    /// <summary>
    /// One watch request from <paramref name="resourceVersion"/>. Returns the resourceVersion to resume from (null: list
    /// again), whether any event arrived, and the failure that ended it (null when the server simply closed it).
    /// </summary>
    private async Task<(string? Next, bool Progressed, Exception? Error)> WatchOnceAsync(string resourceVersion, ChannelWriter<WatchUpdate<T>> writer, CancellationToken ct)
    {
        Exception? streamError = null;
        var progressed = false;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        // client-go's spread of 5-10 minutes, so that many watchers do not all reconnect at once.
        var timeout = 300 + Random.Shared.Next(300);
        IAsyncEnumerator<(WatchEventType Type, T Object)>? events = null;
        Task<bool>? pending = null;
        try
        {
            events = watch(resourceVersion, timeout, e => streamError ??= e, stop.Token).GetAsyncEnumerator(stop.Token);
            pending = events.MoveNextAsync().AsTask();
            while (await pending)
            {
                var batch = new List<WatchChange<T>>();
                var latest = resourceVersion;
                Take(events.Current);
                // Everything already received goes into one update.
                pending = events.MoveNextAsync().AsTask();
                while (pending.IsCompletedSuccessfully && pending.Result && streamError is null)
                {
                    Take(events.Current);
                    pending = events.MoveNextAsync().AsTask();
                }
                progressed = true;
                if (batch.Count > 0)
                    await writer.WriteAsync(new Changed<T>(batch, latest), ct);
                resourceVersion = latest;
                if (streamError is not null)
                    break;

                void Take((WatchEventType Type, T Object) e)
                {
                    if (e.Type == WatchEventType.Error)
                    {
                        streamError ??= new InvalidOperationException($"ERROR event with a {e.Object?.Kind} object");
                        return;
                    }
                    if (e.Object?.Metadata?.ResourceVersion is { Length: > 0 } version)
                        latest = version;
                    if (e.Type is WatchEventType.Added or WatchEventType.Modified or WatchEventType.Deleted)
                        batch.Add(new WatchChange<T>(e.Type, e.Object!));
                }
            }
            // An ERROR event (410 Expired after a compaction) or an event that could not be read: the stream
            // no longer tells every change, so only a new list can.
            if (streamError is not null)
                return (null, progressed, streamError);
            // A watch the server ends at once without a single event (a proxy in the way, a server refusing quietly)
            // is a failure, as client-go treats it: backed off and logged, not reopened in a tight loop.
            if (!progressed && System.Diagnostics.Stopwatch.GetElapsedTime(started) < TimeSpan.FromSeconds(1))
                return (resourceVersion, false, new InvalidOperationException("the watch ended at once without an event"));
            return (resourceVersion, progressed, null);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            return KubeClient.StatusOf(e) == 410 ? (null, progressed, e) : (resourceVersion, progressed, e);
        }
        finally
        {
            // An async iterator cannot be disposed while a MoveNext is pending: end that first.
            await stop.CancelAsync();
            if (pending is not null)
            {
                // Its outcome is the cancellation we just caused, or a failure already returned above.
                try { await pending; } catch (Exception) { }
            }
            if (events is not null)
            {
                // Closing a stream that already failed or was cancelled; that failure was reported above.
                try { await events.DisposeAsync(); } catch (Exception) { }
            }
        }
    }

    private TimeSpan Backoff(int failures) =>
        TimeSpan.FromTicks(Math.Min(MaxRetryInterval.Ticks, RetryInterval.Ticks << Math.Min(failures - 1, 16)));

    private static string Describe(Exception e) => KubeClient.Describe(e);
}

/// <summary>List+watch for any resource, through the client's one generic path (any group, the core one included).</summary>
public static class ListWatches
{
    /// <summary>
    /// Every object of <paramref name="resource"/> (or of one namespace), optionally narrowed by selectors, as
    /// <typeparamref name="T"/>: a typed model (V1Node) or <see cref="ObjectMetadata"/> for metadata only. The client must
    /// come from <see cref="KubeClient.FromKubeconfig"/> (it routes the core group).
    /// </summary>
    public static ListWatch<T> For<T>(IKubernetes client, ApiResource resource, string? ns = null, string? fieldSelector = null,
        string? labelSelector = null, ILogger? log = null) where T : IKubernetesObject<V1ObjectMeta>
    {
        var (group, version, plural) = (resource.Group, resource.Version, resource.Plural);
        var description = resource.QualifiedName + (ns is null ? "" : $" in {ns}")
            + (fieldSelector is null ? "" : $" ({fieldSelector})") + (labelSelector is null ? "" : $" ({labelSelector})");
        return new ListWatch<T>(description,
            async ct =>
            {
                using var response = ns is null
                    ? await client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync<KubernetesList<T>>(group, version, plural,
                        fieldSelector: fieldSelector, labelSelector: labelSelector, cancellationToken: ct)
                    : await client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync<KubernetesList<T>>(group, version, ns, plural,
                        fieldSelector: fieldSelector, labelSelector: labelSelector, cancellationToken: ct);
                return (response.Body.Items ?? [], response.Body.Metadata?.ResourceVersion ?? "0");
            },
#pragma warning disable CS0618 // WatchAsync<T, L>: the one typed watch of any resource in KubernetesClient 21 (its suggested replacement yields untyped objects)
            (rv, timeout, onError, ct) => (ns is null
                ? client.CustomObjects.ListClusterCustomObjectWithHttpMessagesAsync(group, version, plural, allowWatchBookmarks: true,
                    fieldSelector: fieldSelector, labelSelector: labelSelector, resourceVersion: rv, timeoutSeconds: timeout, watch: true, cancellationToken: ct)
                : client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync(group, version, ns, plural, allowWatchBookmarks: true,
                    fieldSelector: fieldSelector, labelSelector: labelSelector, resourceVersion: rv, timeoutSeconds: timeout, watch: true, cancellationToken: ct))
                .WatchAsync<T, object>(onError, ct))
#pragma warning restore CS0618
        {
            Log = log ?? NullLogger.Instance,
        };
    }

    /// <summary>Nodes, optionally narrowed by a field selector (metadata.name=NAME for one node).</summary>
    public static ListWatch<V1Node> Nodes(IKubernetes client, string? fieldSelector = null, ILogger? log = null) =>
        For<V1Node>(client, ApiResource.Nodes, fieldSelector: fieldSelector, log: log);
}
