using System.Text.Json.Nodes;
using Kybernet.ApiServer.Registry.Subresources;

namespace Kybernet.ApiServer.Tests;

/// <summary>pods/, services/ and nodes/proxy before a kubelet is called (the lab tests go through to pods with kubectl).</summary>
public sealed class ProxySubresourceTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Theory]
    [InlineData("web", "", "web", "")]
    [InlineData("web:8080", "", "web", "8080")]
    [InlineData("https:web:443", "https", "web", "443")]
    [InlineData("web:http", "", "web", "http")]
    public void Names_carry_an_optional_scheme_and_port(string id, string scheme, string name, string port) =>
        Assert.Equal((scheme, name, port), ProxySubresource.SplitSchemeNamePort(id));

    [Fact]
    public async Task Requests_are_checked_before_any_kubelet_is_called()
    {
        using var api = new ApiClient(server.DataDirectory, server.Server.Url);
        server.Kubectl.OkWith(Manifests.Namespace("proxies"), "create", "-f", "-");
        Assert.Equal(201, (await api.Post("/api/v1/namespaces/proxies/pods", PinnedPods.Pod("waiting", null, "c"))).Status);
        var service = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject { ["name"] = "lonely" },
            ["spec"] = new JsonObject { ["selector"] = new JsonObject { ["app"] = "nobody" }, ["ports"] = new JsonArray(new JsonObject { ["name"] = "http", ["port"] = 80 }) },
        };
        Assert.Equal(201, (await api.Post("/api/v1/namespaces/proxies/services", service)).Status);

        async Task Refused(string path, int status, string message)
        {
            var (got, body) = await api.Get(path);
            Assert.Equal((status, message), (got, body["message"]!.GetValue<string>()));
        }
        await Refused("/api/v1/namespaces/proxies/pods/waiting:8080/proxy/", 400, "pod waiting does not have a host assigned");
        await Refused("/api/v1/namespaces/proxies/services/lonely:http/proxy/", 503, "no endpoints available for service \"lonely\"");
        await Refused("/api/v1/namespaces/proxies/services/lonely:grpc/proxy/", 400, "no service port \"grpc\" found for service \"lonely\"");
        await Refused("/api/v1/namespaces/proxies/pods/a:b:c:d/proxy/", 400, "invalid service request a:b:c:d");
        var (status, body) = await api.Get("/api/v1/nodes/nosuch/proxy/healthz");
        Assert.Equal((404, "NotFound"), (status, body["reason"]!.GetValue<string>()));

        var (_, list) = await api.Get("/api/v1");
        foreach (var name in new[] { "pods/proxy", "services/proxy", "nodes/proxy" })
            Assert.Contains(list["resources"]!.AsArray(), r => r!["name"]!.GetValue<string>() == name);
    }
}
