namespace Kybernet.Client.Queues;

/// <summary>
/// client-go's rate-limited work queue, the heart of every controller: informer handlers <see cref="Add"/> keys
/// ("namespace/name"), workers take them (<see cref="TakeAsync"/>), reconcile, and call <see cref="Done"/>.
/// <list type="bullet">
/// <item>A key is queued at most once however often it is added before a worker takes it (events coalesce).</item>
/// <item>A key is never handed to two workers at once: added while being processed, it is queued again on <see cref="Done"/>.</item>
/// <item>A failed key goes back after a per-key exponential backoff (<see cref="AddRateLimited"/>) until <see cref="Forget"/>.</item>
/// </list>
/// </summary>
public sealed class WorkQueue<TKey> : IDisposable where TKey : notnull
{
    private readonly Lock _lock = new();
    private readonly Queue<TKey> _queue = new();
    private readonly HashSet<TKey> _dirty = [];        // queued, or to be queued again when its processing ends
    private readonly HashSet<TKey> _processing = [];
    private readonly Dictionary<TKey, int> _failures = [];
    private readonly Dictionary<TKey, DateTimeOffset> _waiting = []; // keys to add later, each at its earliest due time
    private readonly SemaphoreSlim _available = new(0);
    private readonly CancellationTokenSource _shutdown = new();
    private readonly WorkQueueOptions _options;

    public WorkQueue(WorkQueueOptions? options = null) => _options = options ?? new WorkQueueOptions();

    /// <summary>Keys waiting to be taken.</summary>
    public int Count
    {
        get { lock (_lock) return _queue.Count; }
    }

    public bool IsShutDown => _shutdown.IsCancellationRequested;

    /// <summary>Queues the key, unless it is queued already (or, if being processed, marks it to be queued when it is done).</summary>
    public void Add(TKey key)
    {
        lock (_lock)
        {
            if (IsShutDown || !_dirty.Add(key) || _processing.Contains(key))
                return;
            _queue.Enqueue(key);
        }
        _available.Release();
    }

    /// <summary>
    /// Queues the key once <paramref name="delay"/> has passed. A key waits at most once: asked again while it
    /// waits, it keeps the earlier of the two times (so re-arming a recheck on every event adds no more work).
    /// </summary>
    public void AddAfter(TKey key, TimeSpan delay)
    {
        if (IsShutDown)
            return;
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }
        var due = _options.Time.GetUtcNow() + delay;
        lock (_lock)
        {
            if (_waiting.TryGetValue(key, out var pending) && pending <= due)
                return;
            _waiting[key] = due;
        }
        _ = AddLaterAsync(key, due, delay);
    }

    /// <summary>Queues the key after its backoff: base × 2^(failures so far), capped; each call counts as one more failure.</summary>
    public void AddRateLimited(TKey key)
    {
        int failures;
        lock (_lock)
        {
            failures = _failures.GetValueOrDefault(key);
            _failures[key] = failures + 1;
        }
        AddAfter(key, Backoff(failures));
    }

    /// <summary>The key succeeded: its next failure starts from the base delay again.</summary>
    public void Forget(TKey key)
    {
        lock (_lock)
            _failures.Remove(key);
    }

    /// <summary>How many times in a row the key has been re-queued as failed.</summary>
    public int Requeues(TKey key)
    {
        lock (_lock)
            return _failures.GetValueOrDefault(key);
    }

    /// <summary>The delay the next <see cref="AddRateLimited"/> of a key with <paramref name="failures"/> failures gets.</summary>
    public TimeSpan Backoff(int failures) =>
        TimeSpan.FromTicks(Math.Min(_options.MaxDelay.Ticks, _options.BaseDelay.Ticks * (1L << Math.Min(failures, 40))));

    /// <summary>
    /// The next key to process (waiting for one), now marked as being processed: call <see cref="Done"/> when finished.
    /// Throws <see cref="OperationCanceledException"/> when cancelled or when the queue is shut down.
    /// </summary>
    public async Task<TKey> TakeAsync(CancellationToken cancellationToken = default)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _shutdown.Token);
        while (true)
        {
            await _available.WaitAsync(either.Token);
            lock (_lock)
            {
                if (_queue.TryDequeue(out var key))
                {
                    _processing.Add(key);
                    _dirty.Remove(key);
                    return key;
                }
            }
        }
    }

    /// <summary>Processing of the key ended; if it was added meanwhile, it is queued again.</summary>
    public void Done(TKey key)
    {
        bool requeue;
        lock (_lock)
        {
            _processing.Remove(key);
            requeue = _dirty.Contains(key) && !IsShutDown;
            if (requeue)
                _queue.Enqueue(key);
        }
        if (requeue)
            _available.Release();
    }

    /// <summary>Stops handing out keys: waiting and future <see cref="TakeAsync"/> calls end, and adds are ignored.</summary>
    public void ShutDown() => _shutdown.Cancel();

    /// <summary>
    /// Shuts the queue down. The semaphore and the token source are left to the collector (they hold no handle): a worker
    /// still on its way into <see cref="TakeAsync"/> must get its cancellation, not an ObjectDisposedException or a wait
    /// on a disposed semaphore that nothing ever ends.
    /// </summary>
    public void Dispose() => ShutDown();

    private async Task AddLaterAsync(TKey key, DateTimeOffset due, TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, _options.Time, _shutdown.Token);
        }
        catch (OperationCanceledException)
        {
            return; // shut down meanwhile: nobody will take it
        }
        catch (ObjectDisposedException)
        {
            return; // disposed meanwhile: likewise
        }
        lock (_lock)
        {
            // Superseded by an earlier time for the same key, which added it (or will).
            if (!_waiting.TryGetValue(key, out var current) || current != due)
                return;
            _waiting.Remove(key);
        }
        Add(key);
    }
}

/// <summary>A work queue's backoff and clock.</summary>
public sealed record WorkQueueOptions
{
    /// <summary>The first retry's delay (client-go: 5 ms).</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(5);

    /// <summary>The longest delay (client-go: 1000 s; shorter here, so a cluster on one box recovers within minutes).</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The clock for delays (tests use a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
