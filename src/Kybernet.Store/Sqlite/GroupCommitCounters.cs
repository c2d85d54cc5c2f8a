namespace Kybernet.Store.Sqlite;

/// <summary>
/// What the SQLite store's writer loop has done since the store was opened: how many writes it ran and how many
/// SQLite commits (each an fsync) it took. Writes per commit above 1 is group commit at work. For tests and
/// benchmarks; counts, never timings.
/// </summary>
public sealed class GroupCommitCounters
{
    private long _writes;
    private long _commits;
    private long _largestBatch;

    /// <summary>Writes run (each a transaction of a caller, whether it changed anything, failed or not).</summary>
    public long Writes => Interlocked.Read(ref _writes);

    /// <summary>SQLite transactions committed by the writer loop (one per batch).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>The most writes one commit has carried.</summary>
    public long LargestBatch => Interlocked.Read(ref _largestBatch);

    internal void Count(int batch)
    {
        Interlocked.Add(ref _writes, batch);
        Interlocked.Increment(ref _commits);
        if (batch > Interlocked.Read(ref _largestBatch))
            Interlocked.Exchange(ref _largestBatch, batch); // one writer loop updates it: no race to lose
    }

    public override string ToString() => $"{Writes} writes in {Commits} commits (largest batch {LargestBatch})";
}
