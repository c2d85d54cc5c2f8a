using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Tests;

/// <summary>`kybernet server` on SQLite killed with SIGKILL mid-burst: every write it acknowledged is there after restart.</summary>
public sealed class ServerCrashTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"kyt-crash-{Guid.NewGuid():N}");
    private ServerProcess? _server;

    public void Dispose()
    {
        _server?.Dispose();
        if (Directory.Exists(_dataDir))
            Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public async Task No_acknowledged_write_is_lost_when_the_server_is_killed()
    {
        int port = ServerProcess.FreePort();
        var url = await Start(port);
        var acknowledged = new System.Collections.Concurrent.ConcurrentBag<string>();
        using (var api = new ApiClient(_dataDir, url))
        {
            using var enough = new CancellationTokenSource();
            int next = 0;
            var writers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
            {
                while (!enough.IsCancellationRequested)
                {
                    var name = $"burst-{Interlocked.Increment(ref next)}";
                    try
                    {
                        var (status, _) = await api.Post("/api/v1/namespaces/default/configmaps", new JsonObject
                        {
                            ["apiVersion"] = "v1",
                            ["kind"] = "ConfigMap",
                            ["metadata"] = new JsonObject { ["name"] = name },
                            ["data"] = new JsonObject { ["n"] = name },
                        });
                        if (status == 201)
                            acknowledged.Add(name);
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
                    {
                        return; // the server died under us: what it acknowledged is what counts
                    }
                }
            })).ToList();
            while (acknowledged.Count < 300)
                await Task.Delay(10);
            _server!.Dispose(); // SIGKILL, by the pid we started
            enough.Cancel();
            await Task.WhenAll(writers);
        }

        url = await Start(port);
        using var after = new ApiClient(_dataDir, url);
        var (_, list) = await after.Get("/api/v1/namespaces/default/configmaps");
        var stored = list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).ToHashSet();
        var lost = acknowledged.Where(a => !stored.Contains(a)).ToList();
        Assert.True(acknowledged.Count >= 300);
        Assert.Empty(lost);
    }

    [Fact]
    public async Task Sigterm_stops_the_server_cleanly()
    {
        await Start(ServerProcess.FreePort());
        // Once its controllers work (their informers are watching), so the stop below ends live watches.
        await _server!.WaitForLineAsync(l => l.Contains("created ServiceAccount default", StringComparison.Ordinal), "that its controllers work");
        using (var kill = Process.Start("kill", ["-TERM", _server!.Pid.ToString()]))
            kill.WaitForExit();
        // A bound against hanging, not a timing claim.
        Assert.True(_server.Process.WaitForExit(TimeSpan.FromSeconds(30)), "kybernet server did not exit after SIGTERM");
        _server.Process.WaitForExit(); // and its output read to the end
        Assert.True(_server.Process.ExitCode == 0, $"exit code {_server.Process.ExitCode}; it printed:\n{string.Join('\n', _server.Output)}");
        Assert.Contains(_server.Output, l => l.EndsWith("INFO  server: stopping", StringComparison.Ordinal));
        // A clean stop is quiet: the controllers' watches end before the server goes, none reports it gone.
        var output = _server.Output.ToList();
        var firstNoisy = output.FindIndex(l => l.Contains(" WARN ", StringComparison.Ordinal) || l.Contains(" ERROR ", StringComparison.Ordinal));
        Assert.True(firstNoisy < 0, $"a clean stop logged a warning or error:\n{string.Join('\n', output.Skip(firstNoisy).Take(15))}");
    }

    private async Task<Uri> Start(int port)
    {
        _server = await ServerProcess.StartAsync(_dataDir, port);
        return _server.Url;
    }
}
