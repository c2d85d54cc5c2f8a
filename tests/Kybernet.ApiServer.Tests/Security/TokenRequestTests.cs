using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Tests.Security;

/// <summary>serviceaccounts/NAME/token and tokenreviews over HTTP (JSON), as clients other than kubectl's generators use them.</summary>
public sealed class TokenRequestTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static JsonObject Request(JsonObject spec) => new()
    {
        ["apiVersion"] = "authentication.k8s.io/v1",
        ["kind"] = "TokenRequest",
        ["spec"] = spec,
    };

    private async Task<(int Status, JsonObject Body)> Post(string path, JsonObject body)
    {
        using var api = new ApiClient(server.DataDirectory, server.Server.Url);
        return await api.Post(path, body);
    }

    private async Task<JsonObject> Review(string token, params string[] audiences)
    {
        var spec = new JsonObject { ["token"] = token };
        if (audiences.Length > 0)
            spec["audiences"] = new JsonArray(audiences.Select(a => (JsonNode?)a).ToArray());
        var (status, body) = await Post("/apis/authentication.k8s.io/v1/tokenreviews",
            new JsonObject { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "TokenReview", ["spec"] = spec });
        Assert.Equal(201, status);
        return (JsonObject)body["status"]!;
    }

    [Fact]
    public async Task A_token_has_the_default_hour_and_audience_and_a_review_names_its_service_account()
    {
        server.Kubectl.OkWith("{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"reviewed\"}}", "create", "-f", "-");
        var (status, body) = await Post("/api/v1/namespaces/default/serviceaccounts/reviewed/token", Request([]));
        Assert.Equal(201, status);
        Assert.Equal(3600, (long)body["spec"]!["expirationSeconds"]!);
        Assert.Equal("[\"https://kubernetes.default.svc.cluster.local\"]", body["spec"]!["audiences"]!.ToJsonString());
        var expires = DateTime.Parse((string)body["status"]!["expirationTimestamp"]!, null, System.Globalization.DateTimeStyles.AdjustToUniversal);
        Assert.InRange(expires - DateTime.UtcNow, TimeSpan.FromMinutes(55), TimeSpan.FromMinutes(61));

        var review = await Review((string)body["status"]!["token"]!);
        Assert.True((bool)review["authenticated"]!);
        Assert.Equal("system:serviceaccount:default:reviewed", (string)review["user"]!["username"]!);
        Assert.False((await Review((string)body["status"]!["token"]!, "vault"))["authenticated"]?.GetValue<bool>() ?? false);
        Assert.False((await Review("garbage"))["authenticated"]?.GetValue<bool>() ?? false);
    }

    [Fact]
    public async Task Bad_token_requests_are_refused_with_upstreams_statuses()
    {
        server.Kubectl.OkWith("{\"apiVersion\":\"v1\",\"kind\":\"ServiceAccount\",\"metadata\":{\"name\":\"strict\"}}", "create", "-f", "-");
        var (tooShort, body) = await Post("/api/v1/namespaces/default/serviceaccounts/strict/token", Request(new JsonObject { ["expirationSeconds"] = 60 }));
        Assert.Equal(422, tooShort);
        Assert.Contains("may not specify a duration less than 10 minutes", body["message"]!.ToString());
        var (missing, _) = await Post("/api/v1/namespaces/default/serviceaccounts/nobody/token", Request([]));
        Assert.Equal(404, missing);
        var (noPod, podBody) = await Post("/api/v1/namespaces/default/serviceaccounts/strict/token",
            Request(new JsonObject { ["boundObjectRef"] = new JsonObject { ["kind"] = "Pod", ["apiVersion"] = "v1", ["name"] = "ghost" } }));
        Assert.Equal(404, noPod);
        Assert.Contains("pods \"ghost\" not found", podBody["message"]!.ToString());

        server.Kubectl.OkWith("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"other-account\"},\"spec\":{\"serviceAccountName\":\"someone\",\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}", "create", "-f", "-");
        var (foreign, foreignBody) = await Post("/api/v1/namespaces/default/serviceaccounts/strict/token",
            Request(new JsonObject { ["boundObjectRef"] = new JsonObject { ["kind"] = "Pod", ["apiVersion"] = "v1", ["name"] = "other-account" } }));
        Assert.Equal(400, foreign);
        Assert.Contains("to pod running with different serviceaccount name", foreignBody["message"]!.ToString());
    }

    [Fact]
    public async Task A_token_bound_to_a_secret_dies_with_the_secret()
    {
        server.Kubectl.OkWith("""
            {"apiVersion":"v1","kind":"List","items":[
              {"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"holder"}},
              {"apiVersion":"v1","kind":"Secret","metadata":{"name":"anchor"}}]}
            """, "create", "-f", "-");
        var (status, body) = await Post("/api/v1/namespaces/default/serviceaccounts/holder/token",
            Request(new JsonObject { ["boundObjectRef"] = new JsonObject { ["kind"] = "Secret", ["apiVersion"] = "v1", ["name"] = "anchor" } }));
        Assert.Equal(201, status);
        var token = (string)body["status"]!["token"]!;
        Assert.True((bool)(await Review(token))["authenticated"]!);
        server.Kubectl.Ok("delete", "secret", "anchor");
        var review = await Review(token);
        Assert.Contains("secret default/anchor", (string)review["error"]!);
    }
}
