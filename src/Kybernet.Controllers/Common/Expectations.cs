namespace Kybernet.Controllers.Common;

/// <summary>
/// client-go's controller expectations: after a controller creates or deletes pods it waits to see each of them in its
/// informer before it trusts its cache again, so a watch that lags its own writes never makes it create (or delete)
/// twice. Creations are counted; deletions are tracked by pod key (a deletion is seen when the pod goes or gets a
/// deletionTimestamp). Expectations that are never met (a lost event) expire after <see cref="Timeout"/>, as upstream's
/// five minutes. Keys are the controller's object keys ("namespace/name"). Thread-safe.
/// </summary>
public sealed class Expectations(TimeProvider? time = null)
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private sealed class Entry(DateTimeOffset since)
    {
        public int Creations;
        public readonly HashSet<string> Deletions = new(StringComparer.Ordinal);
        public DateTimeOffset Since = since;
    }

    /// <summary>True when nothing is awaited for <paramref name="key"/> (or what was has expired): its cache can be trusted.</summary>
    public bool Satisfied(string key)
    {
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var entry))
                return true;
            if ((entry.Creations <= 0 && entry.Deletions.Count == 0) || _time.GetUtcNow() - entry.Since > Timeout)
            {
                _entries.Remove(key);
                return true;
            }
            return false;
        }
    }

    /// <summary>About to create <paramref name="count"/> pods (call before creating: the watch may be quicker than the reply).</summary>
    public void ExpectCreations(string key, int count)
    {
        lock (_lock)
            Fresh(key).Creations += count;
    }

    /// <summary>About to delete these pods (their keys).</summary>
    public void ExpectDeletions(string key, IEnumerable<string> podKeys)
    {
        lock (_lock)
        {
            var entry = Fresh(key);
            foreach (var podKey in podKeys)
                entry.Deletions.Add(podKey);
        }
    }

    /// <summary>A pod it created was seen (or its creation failed and will not be seen).</summary>
    public void CreationObserved(string key)
    {
        lock (_lock)
            if (_entries.TryGetValue(key, out var entry))
                entry.Creations--;
    }

    /// <summary>A pod it deleted was seen gone or terminating (or its deletion failed).</summary>
    public void DeletionObserved(string key, string podKey)
    {
        lock (_lock)
            if (_entries.TryGetValue(key, out var entry))
                entry.Deletions.Remove(podKey);
    }

    /// <summary>The controller's object is gone: forget what it waited for.</summary>
    public void Forget(string key)
    {
        lock (_lock)
            _entries.Remove(key);
    }

    // A new round of expectations starts its own clock; leftovers of an expired round are dropped.
    private Entry Fresh(string key)
    {
        if (!_entries.TryGetValue(key, out var entry) || _time.GetUtcNow() - entry.Since > Timeout)
            _entries[key] = entry = new Entry(_time.GetUtcNow());
        else if (entry.Creations <= 0 && entry.Deletions.Count == 0)
            entry.Since = _time.GetUtcNow();
        return entry;
    }
}
