using k8s.Models;
using Kybernet.Client.Informers;

namespace Kybernet.Controllers.Scheduler;

/// <summary>
/// Upstream's scheduling queue, for pods waiting for a node. Each pod is in one place at a time:
/// <list type="bullet">
/// <item>active: ready to be tried, in priority order then arrival;</item>
/// <item>backoff: tried and failed, waiting out its backoff (initial, doubling per attempt, capped) before going active;</item>
/// <item>unschedulable: fitted nowhere; it waits for a change in the cluster (<see cref="MoveAllToActiveOrBackoff"/>:
/// a node added or changed, a pod gone) or, at the latest, <see cref="SchedulerOptions.MaxInUnschedulable"/>;</item>
/// <item>in flight: taken by the scheduling loop, until it is bound (<see cref="Done"/>) or handed back (<see cref="Requeue"/>).</item>
/// </list>
/// A cluster change that happens while a pod is in flight sends it to backoff rather than to the unschedulable set, so a
/// node added during its attempt is not missed. Informer handlers call it; it is thread-safe and cheap.
/// </summary>
public sealed class SchedulingQueue(SchedulerOptions options, TimeProvider? time = null) : IDisposable
{
    internal enum Place { Active, Backoff, Unschedulable, InFlight }

    /// <summary>A pod in the queue; what the scheduling loop gets from <see cref="TakeAsync"/>.</summary>
    public sealed class Entry(V1Pod pod, string key, long arrival)
    {
        public V1Pod Pod { get; internal set; } = pod;
        public string Key { get; } = key;
        internal long Arrival { get; } = arrival;
        public int Attempts { get; internal set; }
        internal Place Where;
        internal int Token;               // which push into the active heap is current (older ones are stale)
        internal DateTimeOffset LastAttempt;
        internal DateTimeOffset Since;    // when it entered the unschedulable set
        internal long MovesWhenTaken;
        internal bool Deleted;
    }

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly PriorityQueue<(Entry Entry, int Token), (int NegatedPriority, long Arrival)> _active = new();
    private readonly HashSet<Entry> _backoff = [];
    private readonly HashSet<Entry> _unschedulable = [];
    private readonly SemaphoreSlim _available = new(0);
    private long _arrivals;
    private long _moves;

    /// <summary>Pods in each place, for tests and logs: (active, backoff, unschedulable, in flight).</summary>
    public (int Active, int Backoff, int Unschedulable, int InFlight) Counts()
    {
        lock (_lock)
        {
            int inFlight = _entries.Values.Count(e => e.Where == Place.InFlight);
            return (_entries.Count - _backoff.Count - _unschedulable.Count - inFlight, _backoff.Count, _unschedulable.Count, inFlight);
        }
    }

    /// <summary>
    /// An unbound pod of ours appeared or changed. New: queued active. Known: its latest state is kept; an unschedulable
    /// pod whose spec, labels or annotations changed is tried again (a status write of our own is no reason to).
    /// </summary>
    public void AddOrUpdate(V1Pod pod)
    {
        var key = ObjectKey.Of(pod);
        bool signal = false;
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var entry) || entry.Pod.Metadata.Uid != pod.Metadata.Uid)
            {
                if (entry is not null)
                    RemoveLocked(entry);
                entry = new Entry(pod, key, _arrivals++);
                _entries[key] = entry;
                PushActiveLocked(entry);
                signal = true;
            }
            else
            {
                var old = entry.Pod;
                entry.Pod = pod;
                if (entry.Where == Place.Unschedulable && SchedulingInputsChanged(old, pod))
                    signal = MoveLocked(entry, _time.GetUtcNow());
            }
        }
        if (signal)
            _available.Release();
    }

    /// <summary>The pod was deleted, bound, or is no longer ours: it leaves the queue (one in flight is dropped when handed back).</summary>
    public void Delete(string key)
    {
        lock (_lock)
            if (_entries.TryGetValue(key, out var entry))
                RemoveLocked(entry);
    }

    /// <summary>The next pod to try, highest priority first, now in flight (waits for one).</summary>
    public async Task<Entry> TakeAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            lock (_lock)
            {
                while (_active.TryDequeue(out var item, out _))
                {
                    var entry = item.Entry;
                    if (entry.Deleted || entry.Where != Place.Active || entry.Token != item.Token)
                        continue; // stale: deleted or moved since it was pushed
                    entry.Where = Place.InFlight;
                    entry.Attempts++;
                    entry.LastAttempt = _time.GetUtcNow();
                    entry.MovesWhenTaken = _moves;
                    return entry;
                }
            }
            await _available.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The pod in flight is placed (or needs nothing more): it leaves the queue.</summary>
    public void Done(Entry entry)
    {
        lock (_lock)
            RemoveLocked(entry);
    }

    /// <summary>
    /// The pod in flight goes back: as unschedulable when it fitted nowhere and nothing changed in the cluster since it
    /// was taken, else to backoff (an error, or a change it may not have seen).
    /// </summary>
    public void Requeue(Entry entry, bool unschedulable)
    {
        lock (_lock)
        {
            if (entry.Deleted || entry.Where != Place.InFlight)
                return;
            if (unschedulable && entry.MovesWhenTaken == _moves)
            {
                entry.Where = Place.Unschedulable;
                entry.Since = _time.GetUtcNow();
                _unschedulable.Add(entry);
            }
            else
            {
                entry.Where = Place.Backoff;
                _backoff.Add(entry);
            }
        }
    }

    /// <summary>Something changed that may let unschedulable pods fit: each goes active, or to backoff if its backoff has not passed.</summary>
    public void MoveAllToActiveOrBackoff()
    {
        bool signal = false;
        lock (_lock)
        {
            _moves++;
            if (_unschedulable.Count == 0)
                return;
            var now = _time.GetUtcNow();
            foreach (var entry in _unschedulable.ToList())
                signal |= MoveLocked(entry, now);
        }
        if (signal)
            _available.Release();
    }

    /// <summary>
    /// Periodic upkeep (upstream flushes every second and every 30 s): pods whose backoff has passed go active, and pods
    /// unschedulable for longer than <see cref="SchedulerOptions.MaxInUnschedulable"/> are tried again.
    /// </summary>
    public void Flush()
    {
        bool signal = false;
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            foreach (var entry in _backoff.Where(e => BackoffEnds(e) <= now).ToList())
            {
                _backoff.Remove(entry);
                PushActiveLocked(entry);
                signal = true;
            }
            foreach (var entry in _unschedulable.Where(e => now - e.Since >= options.MaxInUnschedulable).ToList())
                signal |= MoveLocked(entry, now);
        }
        if (signal)
            _available.Release();
    }

    /// <summary>The backoff after <paramref name="attempts"/> attempts: initial, doubled per further attempt, capped.</summary>
    public TimeSpan Backoff(int attempts)
    {
        var backoff = options.InitialBackoff;
        for (int i = 1; i < attempts && backoff < options.MaxBackoff; i++)
            backoff *= 2;
        return backoff > options.MaxBackoff ? options.MaxBackoff : backoff;
    }

    private DateTimeOffset BackoffEnds(Entry entry) => entry.LastAttempt + Backoff(entry.Attempts);

    /// <summary>Out of the unschedulable set: active if its backoff has passed, else backoff. True when it became active.</summary>
    private bool MoveLocked(Entry entry, DateTimeOffset now)
    {
        _unschedulable.Remove(entry);
        if (BackoffEnds(entry) <= now)
        {
            PushActiveLocked(entry);
            return true;
        }
        entry.Where = Place.Backoff;
        _backoff.Add(entry);
        return false;
    }

    private void PushActiveLocked(Entry entry)
    {
        entry.Where = Place.Active;
        entry.Token++;
        _active.Enqueue((entry, entry.Token), (-(entry.Pod.Spec?.Priority ?? 0), entry.Arrival));
    }

    private void RemoveLocked(Entry entry)
    {
        entry.Deleted = true;
        _backoff.Remove(entry);
        _unschedulable.Remove(entry);
        if (_entries.TryGetValue(entry.Key, out var current) && ReferenceEquals(current, entry))
            _entries.Remove(entry.Key);
    }

    /// <summary>Upstream's isPodUpdated: anything but status and bookkeeping metadata changed.</summary>
    private static bool SchedulingInputsChanged(V1Pod old, V1Pod now) =>
        !Same(old.Metadata.Labels, now.Metadata.Labels) || !Same(old.Metadata.Annotations, now.Metadata.Annotations) ||
        k8s.KubernetesJson.Serialize(old.Spec) != k8s.KubernetesJson.Serialize(now.Spec);

    private static bool Same(IDictionary<string, string>? a, IDictionary<string, string>? b) =>
        (a?.Count ?? 0) == (b?.Count ?? 0) && (a is null || b is null || a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value));

    public void Dispose() => _available.Dispose();
}
