using System.Text;
using Kybernet.Store.Sqlite;

namespace Kybernet.Store.Tests.Sqlite;

/// <summary>
/// Group commit: writes queued together share one SQLite commit, yet each gets its own result, revision or error,
/// as if they had run one after another. To make a batch certain (not a matter of timing), a test holds the writer
/// loop in a write of its own while the batch queues behind it.
/// </summary>
public sealed class SqliteStoreGroupCommitTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly TempDirectory _directory = new();
    private SqliteStore _store = null!;

    public Task InitializeAsync()
    {
        _store = SqliteStore.Open(_directory.Path);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        _directory.Dispose();
    }

    [Fact]
    public async Task A_lone_writer_commits_alone_and_at_once()
    {
        var before = (_store.GroupCommits.Writes, _store.GroupCommits.Commits);
        for (var i = 1; i <= 5; i++)
            Assert.Equal(i, await _store.PutAsync($"/lone/{i}", Bytes("x")).WaitAsync(Patience));

        Assert.Equal((before.Writes + 5, before.Commits + 5), (_store.GroupCommits.Writes, _store.GroupCommits.Commits));
    }

    [Fact]
    public async Task Queued_writers_share_one_commit_and_each_gets_its_own_result_in_order()
    {
        var existing = await _store.PutAsync("/g/existing", Bytes("old"));
        await using var watch = new WatchReader(_store, KeyRange.Prefix("/g/"), existing + 1);
        var commitsBefore = _store.GroupCommits.Commits;

        var (held, release) = HoldWriterLoop();
        await held.WaitAsync(Patience);
        // Queued in this order while the loop is held: they run in it, in one batch.
        var creates = Enumerable.Range(0, 20).Select(i => _store.TxnAsync(Create($"/g/{i:D2}", $"v{i}"))).ToList();
        var staleUpdate = _store.TxnAsync(new Txn(
            [Compare.ModRevision("/g/existing", CompareOp.Equal, existing + 1000)],
            [new TxnOp.Put("/g/existing", Bytes("must not land"))],
            [new TxnOp.Get(KeyRange.Single("/g/existing"))]));
        var halfDone = _store.TxnAsync(new Txn([], [new TxnOp.Put("/g/rolled-back", Bytes("x")), new TxnOp.Put("/g/leased", Bytes("x"), Lease: 12345)], []));
        var duplicateCreate = _store.TxnAsync(Create("/g/05", "again"));
        var more = Enumerable.Range(20, 20).Select(i => _store.TxnAsync(Create($"/g/{i:D2}", $"v{i}"))).ToList();
        release();

        // Each creates at the next revision, in queue order; the failures take no revision.
        var created = await Task.WhenAll(creates.Concat(more)).WaitAsync(Patience);
        Assert.All(created, result => Assert.True(result.Succeeded));
        Assert.Equal(Enumerable.Range(1, 40).Select(i => existing + i), created.Select(result => result.Revision));

        var stale = await staleUpdate;
        Assert.False(stale.Succeeded);
        Assert.Equal(existing + 20, stale.Revision); // the revision when it ran: after the first 20
        var seen = Assert.IsType<TxnOpResult.Get>(Assert.Single(stale.Results)).Kvs;
        Assert.Equal("old", Encoding.UTF8.GetString(Assert.Single(seen).Value.Span));

        await Assert.ThrowsAsync<LeaseNotFoundException>(() => halfDone);
        Assert.False((await duplicateCreate).Succeeded);

        // What the failures did is gone; what the others did is there, at their revisions.
        Assert.Null(await _store.GetAsync("/g/rolled-back"));
        Assert.Null(await _store.GetAsync("/g/leased"));
        Assert.Equal("old", Encoding.UTF8.GetString((await _store.GetAsync("/g/existing"))!.Value.Span));
        Assert.Equal(("v5", existing + 6), Read(await _store.GetAsync("/g/05")));
        Assert.Equal(("v39", existing + 40), Read(await _store.GetAsync("/g/39")));
        Assert.Equal(existing + 40, await _store.CurrentRevisionAsync());

        // Watchers see every change once, in revision order, without gaps.
        var events = await watch.NextAsync(40);
        Assert.Equal(Enumerable.Range(0, 40).Select(i => ($"/g/{i:D2}", existing + 1 + i)), events.Select(e => (e.Kv.Key, e.Kv.ModRevision)));
        Assert.Null(await watch.TryNextAsync(TimeSpan.FromMilliseconds(200)));

        // The held write's batch, then all the queued ones in one more.
        Assert.Equal(commitsBefore + 2, _store.GroupCommits.Commits);
        Assert.True(_store.GroupCommits.LargestBatch >= 43, _store.GroupCommits.ToString());
    }

    [Fact]
    public async Task Many_concurrent_writers_each_get_their_own_revision_and_all_of_them_are_durable()
    {
        var from = await _store.CurrentRevisionAsync() + 1;
        const int writers = 32, writes = 25;
        var results = await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
        {
            var mine = new List<(string Key, long Revision)>();
            for (var i = 0; i < writes; i++)
            {
                var key = $"/c/{w}/{i}";
                mine.Add((key, await _store.PutAsync(key, Bytes(key))));
            }
            return mine;
        }))).WaitAsync(Patience);

        var all = results.SelectMany(mine => mine).ToList();
        Assert.Equal(Enumerable.Range(0, writers * writes).Select(i => from + i), all.Select(r => r.Revision).Order());
        foreach (var mine in results)
            Assert.True(mine.Select(r => r.Revision).SequenceEqual(mine.Select(r => r.Revision).Order()), "one writer's revisions go up");

        await _store.DisposeAsync();
        _store = SqliteStore.Open(_directory.Path);
        foreach (var (key, revision) in all)
            Assert.Equal((key, revision), Read(await _store.GetAsync(key)));
    }

    [Fact]
    public async Task Concurrency_batches_writes_into_fewer_commits()
    {
        var before = (_store.GroupCommits.Writes, _store.GroupCommits.Commits);
        var (held, release) = HoldWriterLoop();
        await held.WaitAsync(Patience);
        var queued = Enumerable.Range(0, 100).Select(i => _store.PutAsync($"/b/{i}", Bytes("x"))).ToList();
        release();
        await Task.WhenAll(queued).WaitAsync(Patience);

        var writes = _store.GroupCommits.Writes - before.Writes;
        var commits = _store.GroupCommits.Commits - before.Commits;
        Assert.Equal((101L, 2L), (writes, commits));
    }

    [Fact]
    public async Task A_write_cancelled_while_queued_never_runs()
    {
        var (held, release) = HoldWriterLoop();
        await held.WaitAsync(Patience);
        using var cancel = new CancellationTokenSource();
        var cancelled = _store.TxnAsync(Create("/cancelled", "x"), cancel.Token);
        var kept = _store.PutAsync("/kept", Bytes("x"));
        await cancel.CancelAsync();
        release();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal(1, await kept.WaitAsync(Patience));
        Assert.Null(await _store.GetAsync("/cancelled"));
    }

    [Fact]
    public async Task A_disposed_store_refuses_writes_and_runs_the_ones_already_queued()
    {
        var (held, release) = HoldWriterLoop();
        await held.WaitAsync(Patience);
        var queued = _store.PutAsync("/queued", Bytes("x"));
        var disposing = _store.DisposeAsync().AsTask();
        release();
        await disposing.WaitAsync(Patience);

        Assert.Equal(1, await queued);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => _store.PutAsync("/late", Bytes("x")));
    }

    /// <summary>
    /// Queues a write that blocks the writer loop: <c>held</c> completes once it runs, and the loop goes on when
    /// <c>release</c> is called. What is queued meanwhile waits for the loop's next batch.
    /// </summary>
    private (Task Held, Action Release) HoldWriterLoop()
    {
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new ManualResetEventSlim();
        _ = _store.Write(_ =>
        {
            held.TrySetResult();
            return gate.Wait(Patience);
        }, CancellationToken.None);
        return (held.Task, gate.Set);
    }

    private static Txn Create(string key, string value) =>
        new([Compare.Absent(key)], [new TxnOp.Put(key, Bytes(value))], []);

    private static (string, long) Read(KeyValue? kv) =>
        kv is null ? ("<absent>", 0) : (Encoding.UTF8.GetString(kv.Value.Span), kv.ModRevision);

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);
}
