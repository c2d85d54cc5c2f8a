using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Kybernet.ApiServer;
using Kybernet.Store;
using Kybernet.Store.Etcd;
using Kybernet.Store.Sqlite;

namespace Kybernet.Bench;

/// <summary>
/// The API server under load, on each store, in one run: N ConfigMap creates from 16 concurrent
/// clients over HTTPS (as kubectl or a controller would send them), one list of them all, and a
/// watch's delivery latency (create -> event received). The reference is etcd's own put rate from 16
/// concurrent clients, measured in the same run with the same client library.
/// </summary>
public static class ApiBenchmark
{
    private const int Clients = 16;

    public static int Run(string[] args)
    {
        int count = args.Length > 0 ? int.Parse(args[0]) : 5000;
        int watchSamples = args.Length > 1 ? int.Parse(args[1]) : 200;
        using var etcd = new EtcdProcess();

        var rows = new List<string>();
        double etcdPuts;
        {
            var raw = new EtcdStore(etcd.Endpoint, "/raw");
            etcdPuts = RawPutsPerSecond(raw, count).GetAwaiter().GetResult();
            raw.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        foreach (var (name, open) in new (string, Func<string, IKeyValueStore>)[]
        {
            ("sqlite", dir => SqliteStore.Open(Path.Combine(dir, "store"))),
            ("etcd", _ => new EtcdStore(etcd.Endpoint)),
        })
        {
            var dir = Directory.CreateTempSubdirectory("kyb-bench-api-").FullName;
            try
            {
                var result = Measure(open(dir), dir, count, watchSamples).GetAwaiter().GetResult();
                Console.Error.WriteLine($"{name}: {result}");
                rows.Add($"| {name} | {result.CreatesPerSecond:F0} | {result.CreatesPerSecond / etcdPuts:F2}x | {result.ListMs:F0} | {result.WatchP50Ms:F1} | {result.WatchP95Ms:F1} |");
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        Console.WriteLine($"| store | ConfigMap creates/s ({count}, {Clients} clients) | vs etcd's own puts/s ({etcdPuts:F0}) | list of {count} (ms) | watch latency p50 (ms) | p95 (ms) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        rows.ForEach(Console.WriteLine);
        return 0;
    }

    private sealed record Result(double CreatesPerSecond, double ListMs, double WatchP50Ms, double WatchP95Ms);

    private static async Task<Result> Measure(IKeyValueStore store, string dir, int count, int watchSamples)
    {
        await using var _ = store;
        await using var server = await ApiServerHost.StartAsync(new ApiServerOptions { DataDirectory = dir, Listen = new IPEndPoint(IPAddress.Loopback, 0) }, store);
        using var http = Client(dir, server.Url);
        var collection = new Uri(server.Url, "/api/v1/namespaces/default/configmaps");

        // Creates from 16 clients, each taking the next number until all are made.
        int next = -1;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async _ =>
        {
            for (int i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
                (await http.PostAsync(collection, Body($"cm-{i}"))).EnsureSuccessStatusCode();
        }));
        double creates = count / stopwatch.Elapsed.TotalSeconds;

        stopwatch.Restart();
        var list = JsonNode.Parse(await http.GetStringAsync(collection))!;
        double listMs = stopwatch.Elapsed.TotalMilliseconds;
        if (list["items"]!.AsArray().Count != count)
            throw new InvalidOperationException($"listed {list["items"]!.AsArray().Count} configmaps, created {count}");

        // Watch latency: the time from sending a create to its ADDED event arriving.
        var revision = list["metadata"]!["resourceVersion"]!.GetValue<string>();
        using var watchRequest = new HttpRequestMessage(HttpMethod.Get, new Uri(server.Url, $"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={revision}"));
        using var watch = await http.SendAsync(watchRequest, HttpCompletionOption.ResponseHeadersRead);
        using var events = new StreamReader(await watch.Content.ReadAsStreamAsync());
        var latencies = new List<double>();
        for (int i = 0; i < watchSamples; i++)
        {
            var sent = Stopwatch.StartNew();
            var create = http.PostAsync(collection, Body($"w-{i}"));
            while (true)
            {
                var line = await events.ReadLineAsync() ?? throw new InvalidOperationException("the watch ended");
                if (line.Contains($"\"w-{i}\"", StringComparison.Ordinal))
                    break;
            }
            latencies.Add(sent.Elapsed.TotalMilliseconds);
            (await create).EnsureSuccessStatusCode();
        }
        latencies.Sort();
        return new Result(creates, listMs, latencies[latencies.Count / 2], latencies[(int)(latencies.Count * 0.95)]);
    }

    private static async Task<double> RawPutsPerSecond(IKeyValueStore store, int count)
    {
        var value = Encoding.UTF8.GetBytes(new string('x', 300)); // about a ConfigMap's size
        int next = -1;
        var stopwatch = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(async _ =>
        {
            for (int i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next))
                await store.PutAsync($"/bench/{i}", value);
        }));
        return count / stopwatch.Elapsed.TotalSeconds;
    }

    private static HttpClient Client(string dir, Uri server) =>
        Kybernet.ApiServer.Security.AdminHttpClient.Create(dir, server, Clients, TimeSpan.FromMinutes(2));

    private static StringContent Body(string name) => new(
        $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}"},"data":{"key":"{{{new string('v', 200)}}}"}}""",
        Encoding.UTF8, "application/json");
}
