using System.Text;
using Kybernet.Store.Etcd;

namespace Kybernet.Store.Tests.Etcd;

/// <summary>A three-member etcd loses its leader (SIGKILL): the store keeps writing and its watches keep going.</summary>
public sealed class EtcdClusterTests(EtcdCluster cluster) : IClassFixture<EtcdCluster>
{
    [Fact]
    public async Task Writes_and_watches_continue_when_the_leader_is_killed()
    {
        const string prefix = "/kyt-cluster";
        await using var store = new EtcdStore(cluster.Endpoints, prefix);
        var from = await store.PutAsync("/k/0", Encoding.UTF8.GetBytes("0"));
        var written = new List<long> { from };

        // Several watchers, each over its own connection: whichever member served one of them dies,
        // and that watcher must resume on another member from where it was, without gaps.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var watchers = Enumerable.Range(0, 3).Select(_ => new EtcdStore(cluster.Endpoints, prefix)).ToList();
        var seen = watchers.Select(w => new List<long>()).ToList();
        const int total = 20;
        var watching = watchers.Select((w, i) => Task.Run(async () =>
        {
            await foreach (var e in w.WatchAsync(KeyRange.Prefix("/k/"), from, cts.Token))
            {
                seen[i].Add(e.Kv.ModRevision);
                if (seen[i].Count == total) break;
            }
        })).ToList();
        try
        {
            for (var i = 1; i < total / 2; i++)
            {
                written.Add(await store.PutAsync($"/k/{i}", Encoding.UTF8.GetBytes($"{i}")));
            }

            var leader = await cluster.LeaderAsync();
            leader.Kill();

            // The client retries on the surviving members while they elect a new leader.
            for (var i = total / 2; i < total; i++)
            {
                written.Add(await store.PutAsync($"/k/{i}", Encoding.UTF8.GetBytes($"{i}")));
            }
            var kv = await store.GetAsync($"/k/{total - 1}");
            Assert.Equal(written[^1], kv!.ModRevision);

            await Task.WhenAll(watching);
            foreach (var s in seen)
            {
                Assert.Equal(written, s);
            }
            Assert.True(leader.HasExited);
        }
        finally
        {
            await cts.CancelAsync();
            await Task.WhenAll(watching.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
            foreach (var w in watchers)
            {
                await w.DisposeAsync();
            }
        }
    }
}
