using System.Text.Json.Nodes;
using Kybernet.ApiServer.Http;

namespace Kybernet.ApiServer.Tests.Http;

/// <summary>Discovery lists each kind's subresources as its strategy declares them, in both forms kubectl reads.</summary>
public sealed class DiscoveryTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly ApiClient _api = new(server.DataDirectory, server.Server.Url);

    public void Dispose() => _api.Dispose();

    [Fact]
    public async Task The_legacy_resource_list_names_subresources_with_their_kind_and_verbs()
    {
        var (_, core) = await _api.Get("/api/v1");
        var resources = core["resources"]!.AsArray().OfType<JsonObject>().ToDictionary(r => r["name"]!.GetValue<string>());
        Assert.Equal("""["update"]""", resources["namespaces/finalize"]["verbs"]!.ToJsonString());
        Assert.Equal("Namespace", resources["namespaces/finalize"]["kind"]!.GetValue<string>());
        Assert.Equal("""["get","patch","update"]""", resources["pods/status"]["verbs"]!.ToJsonString());
        Assert.Null(resources["pods/status"]["group"]);
        Assert.False(resources.ContainsKey("configmaps/status"));
        Assert.Equal("autoscaling", resources["replicationcontrollers/scale"]["group"]!.GetValue<string>());

        var (_, apps) = await _api.Get("/apis/apps/v1");
        var scale = apps["resources"]!.AsArray().OfType<JsonObject>().Single(r => r["name"]!.GetValue<string>() == "deployments/scale");
        Assert.Equal("Scale", scale["kind"]!.GetValue<string>());
        Assert.Equal("v1", scale["version"]!.GetValue<string>());
    }

    [Fact]
    public async Task Aggregated_discovery_names_the_same_subresources()
    {
        var (_, list) = await _api.Get("/api", accept: Discovery.AggregatedContentType);
        var namespaces = list["items"]![0]!["versions"]![0]!["resources"]!.AsArray().OfType<JsonObject>()
            .Single(r => r["resource"]!.GetValue<string>() == "namespaces");
        var subresources = namespaces["subresources"]!.AsArray().Select(s => s!["subresource"]!.GetValue<string>());
        Assert.Equal(["status", "finalize"], subresources);
    }
}
