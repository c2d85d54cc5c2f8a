using System.Net;
using System.Text.Json.Nodes;
using Kybernet.ApiServer.Registry;
using Kybernet.Store;
using Kybernet.Store.Sqlite;
using Microsoft.Extensions.Logging;

namespace Kybernet.ApiServer.Tests.Http;

/// <summary>The server logs through the factory it is given: each request at Debug, each 500 at Error with its stack.</summary>
public sealed class LoggingTests : IAsyncLifetime
{
    private readonly string _dataDir = Path.Combine(Path.GetTempPath(), $"kyt-apiserver-log-{Guid.NewGuid():N}");
    private readonly CapturedLog _log = new();
    private ILoggerFactory _loggers = null!;
    private IKeyValueStore _store = null!;
    private ApiServerHost _server = null!;
    private ApiClient _api = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dataDir);
        _store = SqliteStore.Open(Path.Combine(_dataDir, "store"));
        _loggers = _log.Factory(LogLevel.Debug);
        _server = await ApiServerHost.StartAsync(new ApiServerOptions { DataDirectory = _dataDir, Listen = new IPEndPoint(IPAddress.Loopback, 0) }, _store, _loggers);
        _api = new ApiClient(_dataDir, _server.Url);
    }

    public async Task DisposeAsync()
    {
        _api.Dispose();
        await _server.DisposeAsync();
        await _store.DisposeAsync();
        _loggers.Dispose();
        Directory.Delete(_dataDir, recursive: true);
    }

    [Fact]
    public async Task A_request_the_server_fails_with_500_is_logged_at_error_with_its_stack()
    {
        // An object whose stored value is not JSON, put straight into the store: reading it is the server's failure.
        await _store.PutAsync("/registry/core/configmaps/default/broken", "not json {"u8.ToArray());
        try
        {
            var (status, body) = await _api.Get("/api/v1/namespaces/default/configmaps/broken");
            Assert.Equal(500, status);
            Assert.Equal("InternalError", body["reason"]!.GetValue<string>());

            var error = await _log.WaitFor(e => e.Level == LogLevel.Error && e.Message.Contains("/api/v1/namespaces/default/configmaps/broken"), "for the 500");
            Assert.Equal("Kybernet.ApiServer.Http.Router", error.Category);
            Assert.Contains("GET", error.Message);
            Assert.IsAssignableFrom<System.Text.Json.JsonException>(error.Exception);
            Assert.Contains("Kybernet.ApiServer.Storage.ObjectStore", error.Exception!.StackTrace);
        }
        finally
        {
            await _store.DeleteAsync("/registry/core/configmaps/default/broken");
        }
    }

    [Fact]
    public async Task A_debug_logger_sees_each_request_with_its_status_and_user_agent()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces/default/configmaps?labelSelector=app%3Dweb");
        request.Headers.UserAgent.ParseAdd("logging-test/1.0");
        using (await _api.Http.SendAsync(request)) { }
        var (missing, _) = await _api.Get("/api/v1/namespaces/default/configmaps/none");
        Assert.Equal(404, missing);
        var (created, _) = await _api.Post("/api/v1/namespaces/default/configmaps",
            new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "logged" } });
        Assert.Equal(201, created);

        bool Request(LogEntry e) => e.Level == LogLevel.Debug && e.Category == "Kybernet.ApiServer.Http.RequestLog";
        var list = await _log.WaitFor(e => Request(e) && e.Message.StartsWith("GET /api/v1/namespaces/default/configmaps?labelSelector=app%3Dweb 200 "), "for the list");
        Assert.EndsWith("ms logging-test/1.0", list.Message);
        await _log.WaitFor(e => Request(e) && e.Message.StartsWith("GET /api/v1/namespaces/default/configmaps/none 404 "), "for the 404");
        await _log.WaitFor(e => Request(e) && e.Message.StartsWith("POST /api/v1/namespaces/default/configmaps 201 "), "for the create");
    }

    [Fact]
    public async Task The_service_claim_repair_logs_what_it_frees()
    {
        // A claim no service holds (left by a server that stopped between a delete and its repair): freed on the next repair.
        await _store.PutAsync(ServiceAllocator.NodePortPrefix + "31999", "default/gone"u8.ToArray());
        var (_, svc) = await _api.Post("/api/v1/namespaces/default/services", JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"wake"},"spec":{"ports":[{"port":80}]}}
            """)!);
        await _api.Delete("/api/v1/namespaces/default/services/wake"); // a service delete wakes the repair
        // The stray claim may be freed by the pass the loop makes when it starts, before the delete: wait for both releases.
        var ipClaim = ServiceAllocator.IpPrefix + svc["spec"]!["clusterIP"]!.GetValue<string>();
        await _log.WaitFor(e => e.Category == "Kybernet.ApiServer.Registry.ServiceClaimRepair" && e.Message.Contains(ServiceAllocator.NodePortPrefix + "31999"), "for the release");
        await _log.WaitFor(e => e.Category == "Kybernet.ApiServer.Registry.ServiceClaimRepair" && e.Message.Contains(ipClaim), "for the release of the service's IP");
        Assert.Null(await _store.GetAsync(ServiceAllocator.NodePortPrefix + "31999"));
        Assert.Null(await _store.GetAsync(ipClaim));
    }
}
