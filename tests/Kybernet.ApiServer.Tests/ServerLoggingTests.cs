namespace Kybernet.ApiServer.Tests;

/// <summary>What `kybernet server` logs, as an operator reads it on its standard output.</summary>
public sealed class ServerLoggingTests : IDisposable
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"kyt-log-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_dataDir))
            Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public async Task Log_level_debug_shows_each_request_with_its_status()
    {
        using var server = await ServerProcess.StartAsync(_dataDir, ServerProcess.FreePort(), "--log-level", "debug");
        using var api = new ApiClient(_dataDir, server.Url);
        Assert.Equal(200, (await api.Get("/api/v1/namespaces/default/configmaps?labelSelector=app%3Dweb")).Status);
        Assert.Equal(404, (await api.Get("/api/v1/namespaces/default/configmaps/missing")).Status);

        var ok = await server.WaitForLineAsync(l => l.Contains("GET /api/v1/namespaces/default/configmaps?labelSelector=app%3Dweb 200"), "the list request");
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z DEBUG ", ok); // timestamp and level first
        await server.WaitForLineAsync(l => l.Contains("GET /api/v1/namespaces/default/configmaps/missing 404"), "the failed get");
    }

    [Fact]
    public async Task The_default_level_logs_no_requests()
    {
        using var server = await ServerProcess.StartAsync(_dataDir, ServerProcess.FreePort());
        using var api = new ApiClient(_dataDir, server.Url);
        Assert.Equal(200, (await api.Get("/api/v1/namespaces")).Status);
        // The controllers log at info once they start: when that line is there, a request line would be too.
        await server.WaitForLineAsync(l => l.Contains("INFO  controller-manager: namespace: started"), "the controllers starting");
        Assert.DoesNotContain(server.Output, l => l.Contains(" DEBUG ") || l.Contains("GET /api/v1/namespaces "));
    }

    [Fact]
    public async Task An_unknown_log_level_is_refused_with_the_choices()
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "kybernet"),
            ["server", "--data-dir", _dataDir, "--log-level", "loud"])
        { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(1, process.ExitCode);
        Assert.Contains("--log-level \"loud\" is not one of trace, debug, info, warning, error", error);
    }
}
