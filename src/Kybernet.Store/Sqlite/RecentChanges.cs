namespace Kybernet.Store.Sqlite;

/// <summary>
/// The store's latest changes in memory, in commit order, as the writer made them (with their previous values), so
/// watchers that are caught up read new changes from here instead of each querying the log after every commit (with
/// tens of watchers, one query each per commit was most of the server's work). It holds every change after
/// <see cref="_floor"/>; a watcher further behind reads the log, then joins here once caught up. Bounded: the oldest
/// changes go first.
/// </summary>
internal sealed class RecentChanges(long floor, int capacity = 4096)
{
    private readonly Lock _lock = new();
    private readonly List<(long Revision, int Sub, WatchEvent Event)> _changes = [];
    private long _floor = floor;   // every change after this revision is held
    private long _end = floor;     // the last revision appended

    /// <summary>One committed transaction's changes (called by the writer, in revision order, before watchers are woken).</summary>
    public void Append(long revision, List<(long Revision, int Sub, WatchEvent Event)> changes)
    {
        lock (_lock)
        {
            _changes.AddRange(changes);
            _end = revision;
            if (_changes.Count >= 2 * capacity)
            {
                // Trimmed in chunks, not per commit; a revision cut in two counts as gone.
                _floor = _changes[capacity - 1].Revision;
                _changes.RemoveRange(0, capacity);
            }
        }
    }

    /// <summary>
    /// Up to <paramref name="limit"/> changes in <paramref name="range"/> after log position <paramref name="after"/>, and
    /// the last revision appended (as of the read); false when the window no longer holds everything after that position.
    /// </summary>
    public bool TryRead(KeyRange range, (long Revision, int Sub) after, int limit, out List<(long Revision, int Sub, WatchEvent Event)> changes, out long current)
    {
        changes = [];
        lock (_lock)
        {
            current = _end;
            if (after.Revision <= _floor)
                return false;
            int i = FirstAfter(after);
            for (; i < _changes.Count && changes.Count < limit; i++)
                if (range.Contains(_changes[i].Event.Kv.Key))
                    changes.Add(_changes[i]);
            return true;
        }
    }

    /// <summary>The index of the first change after the position (binary search: changes are in log order).</summary>
    private int FirstAfter((long Revision, int Sub) after)
    {
        int lo = 0, hi = _changes.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            var c = _changes[mid];
            if (c.Revision < after.Revision || (c.Revision == after.Revision && c.Sub <= after.Sub))
                lo = mid + 1;
            else
                hi = mid;
        }
        return lo;
    }
}
