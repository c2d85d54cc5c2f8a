using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Kybernet.Client.Informers;

/// <summary>
/// client-go's shared informer: one list+watch of a resource (<see cref="ListWatch{T}"/>, which resumes and relists by
/// itself) kept in a local <see cref="Cache"/>, with every change told to the registered handlers. A relist (at start,
/// and whenever the watch cannot resume) is diffed against the cache, so handlers hear exactly the adds, updates and
/// deletes that happened meanwhile, never a wholesale "replace". Every <see cref="InformerOptions.ResyncPeriod"/> each
/// cached object is told again as an update of itself, so level-triggered consumers re-check what nothing changed.
/// Many consumers share one informer (<see cref="InformerFactory"/>): one watch per resource per process.
/// </summary>
public sealed class SharedInformer<T> where T : IKubernetesObject<V1ObjectMeta>
{
    private readonly ListWatch<T> _source;
    private readonly InformerOptions _options;
    private readonly ILogger _log;
    // Held while handlers run and while one is added: a new handler hears each object once, either from the
    // catch-up it gets when added or from a later event, never both and never neither.
    private readonly Lock _dispatch = new();
    private readonly List<InformerHandler<T>> _handlers = [];
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _resourceVersion;

    public SharedInformer(ListWatch<T> source, InformerOptions? options = null)
    {
        _source = source;
        _options = options ?? new InformerOptions();
        _log = _source.Log;
    }

    /// <summary>The objects as last seen. Read-only for consumers.</summary>
    public InformerCache<T> Cache { get; } = new();

    /// <summary>True once the first list is in the cache (at once when started from a resourceVersion: there is no list).</summary>
    public bool HasSynced => _synced.Task.IsCompletedSuccessfully;

    /// <summary>The resourceVersion of the last list or event applied.</summary>
    public string? LastResourceVersion => Volatile.Read(ref _resourceVersion);

    public Task WaitForSyncAsync(CancellationToken cancellationToken = default) => _synced.Task.WaitAsync(cancellationToken);

    /// <summary>
    /// Adds a handler. If the informer has objects already, the handler is first told each of them as added, so it never
    /// misses what came before it. Dispose the result to remove it.
    /// </summary>
    public IDisposable AddHandler(InformerHandler<T> handler)
    {
        lock (_dispatch)
        {
            foreach (var obj in Cache.List())
                Call(handler, h => h.OnAdd?.Invoke(obj), "add", obj);
            _handlers.Add(handler);
        }
        return new Registration(this, handler);
    }

    /// <summary>
    /// Lists, watches and dispatches until cancelled (then returns). With <paramref name="fromResourceVersion"/> it starts
    /// watching after that version instead of listing: the cache starts empty and fills from events.
    /// </summary>
    public async Task RunAsync(string? fromResourceVersion = null, CancellationToken cancellationToken = default)
    {
        if (fromResourceVersion is not null)
            _synced.TrySetResult();
        using var resync = _options.ResyncPeriod > TimeSpan.Zero ? new PeriodicTimer(_options.ResyncPeriod, _options.Time) : null;
        await using var updates = _source.RunAsync(fromResourceVersion, cancellationToken).GetAsyncEnumerator(cancellationToken);
        Task<bool>? next = null;
        Task<bool>? tick = null;
        try
        {
            next = updates.MoveNextAsync().AsTask();
            tick = resync?.WaitForNextTickAsync(cancellationToken).AsTask() ?? Task.Delay(Timeout.InfiniteTimeSpan, _options.Time, cancellationToken).ContinueWith(_ => false, TaskScheduler.Default);
            while (true)
            {
                if (await Task.WhenAny(next, tick) == tick)
                {
                    if (!tick.IsCompletedSuccessfully || !tick.Result)
                        break; // cancelled
                    Resync();
                    tick = resync!.WaitForNextTickAsync(cancellationToken).AsTask();
                    continue;
                }
                if (!await next)
                    break; // the list+watch ends only when cancelled
                try
                {
                    Apply(updates.Current);
                }
                catch (Exception e)
                {
                    // A bug in an indexer must not stop the informer (every cache and waiter on it would freeze): this
                    // update is skipped, and the next relist or resync brings the cache back in line.
                    _log.LogError(e, "applying an update (resourceVersion {ResourceVersion}) failed: {Error}", updates.Current.ResourceVersion, e.Message);
                }
                next = updates.MoveNextAsync().AsTask();
            }
        }
        finally
        {
            // Whoever still waits for the first list must not wait for ever for an informer that has stopped.
            _synced.TrySetCanceled(cancellationToken.IsCancellationRequested ? cancellationToken : new CancellationToken(true));
            // The enumerator cannot be disposed under a pending MoveNext; the list+watch ends it on cancellation.
            if (next is not null && !next.IsCompleted)
            {
                try { await next; }
                catch (OperationCanceledException) { } // our own cancellation, the reason we are leaving
            }
        }
    }

    /// <summary>Folds one list or batch of events into the cache and tells the handlers what changed.</summary>
    private void Apply(WatchUpdate<T> update)
    {
        lock (_dispatch)
        {
            switch (update)
            {
                case Listed<T> listed:
                    var present = new HashSet<string>(listed.Items.Select(o => ObjectKey.Of(o)), StringComparer.Ordinal);
                    foreach (var key in Cache.Keys().Where(k => !present.Contains(k)))
                    {
                        if (Cache.Remove(key) is { } gone)
                            Dispatch(h => h.OnDelete?.Invoke(gone), "delete", gone);
                    }
                    foreach (var obj in listed.Items)
                        Upsert(obj, onlyIfChanged: true);
                    break;
                case Changed<T> changed:
                    foreach (var (type, obj) in changed.Changes)
                    {
                        if (type == WatchEventType.Deleted)
                        {
                            // The event carries the object's final state, fresher than the cache's.
                            Cache.Remove(ObjectKey.Of(obj));
                            Dispatch(h => h.OnDelete?.Invoke(obj), "delete", obj);
                        }
                        else
                            Upsert(obj, onlyIfChanged: false);
                    }
                    break;
            }
            Volatile.Write(ref _resourceVersion, update.ResourceVersion);
        }
        if (update is Listed<T>)
            _synced.TrySetResult();
    }

    private void Upsert(T obj, bool onlyIfChanged)
    {
        var old = Cache.Put(obj);
        if (old is not null && old.Metadata?.Uid != obj.Metadata?.Uid)
        {
            // Deleted and made again under the same name while we were not watching: two objects, told as such.
            Dispatch(h => h.OnDelete?.Invoke(old), "delete", old);
            old = default;
        }
        if (old is null)
            Dispatch(h => h.OnAdd?.Invoke(obj), "add", obj);
        else if (!onlyIfChanged || old.Metadata?.ResourceVersion != obj.Metadata?.ResourceVersion)
            Dispatch(h => h.OnUpdate?.Invoke(old, obj), "update", obj);
    }

    /// <summary>Every cached object told again as unchanged, for consumers that re-check the world periodically.</summary>
    private void Resync()
    {
        lock (_dispatch)
        {
            foreach (var obj in Cache.List())
                Dispatch(h => h.OnUpdate?.Invoke(obj, obj), "resync", obj);
        }
    }

    private void Dispatch(Action<InformerHandler<T>> tell, string what, T obj)
    {
        // A snapshot: a handler may remove itself (dispose its registration) while being told.
        foreach (var handler in _handlers.ToArray())
            Call(handler, tell, what, obj);
    }

    /// <summary>A handler that throws must not stop the informer or the other handlers: it is logged and the next one runs.</summary>
    private void Call(InformerHandler<T> handler, Action<InformerHandler<T>> tell, string what, T obj)
    {
        try
        {
            tell(handler);
        }
        catch (Exception e)
        {
            _log.LogError(e, "an informer handler failed on the {What} of {Key}: {Error}", what, ObjectKey.Of(obj), e.Message);
        }
    }

    private sealed class Registration(SharedInformer<T> informer, InformerHandler<T> handler) : IDisposable
    {
        public void Dispose()
        {
            lock (informer._dispatch)
                informer._handlers.Remove(handler);
        }
    }
}

/// <summary>How an informer runs.</summary>
public sealed record InformerOptions
{
    /// <summary>How often every cached object is told again as an update (0: never). client-go's factories default to hours; controllers pick their own.</summary>
    public TimeSpan ResyncPeriod { get; init; }

    /// <summary>The clock for resyncs (tests use a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
