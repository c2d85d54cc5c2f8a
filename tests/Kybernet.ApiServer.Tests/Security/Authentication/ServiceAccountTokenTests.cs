using System.Text;
using System.Text.Json.Nodes;
using Kybernet.ApiServer.Registry;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Security.Authentication;
using Kybernet.ApiServer.Storage;
using Kybernet.ApiServer.Tests.Registry;

namespace Kybernet.ApiServer.Tests.Security.Authentication;

/// <summary>Tokens issued and checked against a real store: signature, expiry, audience, and the objects a token depends on.</summary>
public sealed class ServiceAccountTokenTests : IAsyncLifetime
{
    private readonly TempStore _store = new();
    private ObjectStore _objects = null!;
    private ResourceCatalog _catalog = null!;
    private readonly SigningKey _key = SigningKey.Generate();
    private readonly string _saUid = Guid.NewGuid().ToString();
    private readonly string _podUid = Guid.NewGuid().ToString();

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }

    public async Task InitializeAsync()
    {
        await _store.InitializeAsync();
        _objects = new ObjectStore(_store.Store);
        _catalog = ResourceCatalog.Kubernetes(new ServiceAllocator(_store.Store));
        await _objects.CreateAsync(Resource("serviceaccounts"), "team", "bot", Object("ServiceAccount", "bot", _saUid));
        await _objects.CreateAsync(Resource("pods"), "team", "web", Object("Pod", "web", _podUid));
    }

    public async Task DisposeAsync()
    {
        _key.Dispose();
        await _store.DisposeAsync();
    }

    private ResourceDefinition Resource(string name) => _catalog.Find("", "v1", name)!;

    private static JsonObject Object(string kind, string name, string uid) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = kind,
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "team", ["uid"] = uid },
    };

    private TokenAuthenticator Authenticator(SigningKey? key = null, TimeProvider? clock = null) => new(key ?? _key, _objects, _catalog, clock);

    private string Token(TimeSpan? lifetime = null, BoundObject? bound = null, IReadOnlyList<string>? audiences = null, TimeProvider? clock = null) =>
        new TokenIssuer(_key, clock).IssueServiceAccountToken("team", "bot", _saUid, audiences ?? TokenIssuer.ApiAudiences, lifetime ?? TimeSpan.FromHours(1), bound).Token;

    [Fact]
    public async Task A_fresh_token_is_the_service_account_with_upstreams_claims_and_groups()
    {
        var token = Token(bound: new BoundObject("Pod", "web", _podUid));
        var claims = JsonNode.Parse(Encoding.UTF8.GetString(Base64Url.Decode(token.Split('.')[1])!))!;
        Assert.Equal("https://kubernetes.default.svc.cluster.local", (string)claims["iss"]!);
        Assert.Equal("system:serviceaccount:team:bot", (string)claims["sub"]!);
        Assert.Equal(_saUid, (string)claims["kubernetes.io"]!["serviceaccount"]!["uid"]!);
        Assert.Equal("web", (string)claims["kubernetes.io"]!["pod"]!["name"]!);
        foreach (var claim in new[] { "aud", "exp", "iat", "nbf", "jti" })
            Assert.NotNull(claims[claim]);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(Base64Url.Decode(token.Split('.')[0])!))!;
        Assert.Equal("ES256", (string)header["alg"]!);

        var result = await Authenticator().AuthenticateAsync(token, TokenIssuer.ApiAudiences, default);
        Assert.Null(result.Error);
        var user = result.User!;
        Assert.Equal("system:serviceaccount:team:bot", user.Name);
        Assert.Equal(_saUid, user.Uid);
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:team", "system:authenticated"], user.Groups);
        Assert.Equal(["web"], user.ExtraOrEmpty["authentication.kubernetes.io/pod-name"]);
        Assert.Equal([_podUid], user.ExtraOrEmpty["authentication.kubernetes.io/pod-uid"]);
    }

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        var past = new Clock(DateTimeOffset.UtcNow.AddHours(-3));
        var result = await Authenticator().AuthenticateAsync(Token(TimeSpan.FromHours(1), clock: past), TokenIssuer.ApiAudiences, default);
        Assert.Null(result.User);
        Assert.Contains("expired", result.Error);
    }

    [Fact]
    public async Task A_token_of_another_key_or_tampered_with_is_refused()
    {
        using var other = SigningKey.Generate();
        Assert.Null((await Authenticator(other).AuthenticateAsync(Token(), TokenIssuer.ApiAudiences, default)).User);
        var parts = Token().Split('.');
        var claims = JsonNode.Parse(Encoding.UTF8.GetString(Base64Url.Decode(parts[1])!))!;
        claims["sub"] = "system:serviceaccount:kube-system:bot";
        var forged = $"{parts[0]}.{Base64Url.Encode(Encoding.UTF8.GetBytes(claims.ToJsonString()))}.{parts[2]}";
        Assert.Null((await Authenticator().AuthenticateAsync(forged, TokenIssuer.ApiAudiences, default)).User);
        Assert.Null((await Authenticator().AuthenticateAsync("not.a.jwt", TokenIssuer.ApiAudiences, default)).User);
    }

    [Fact]
    public async Task A_token_for_another_audience_is_refused()
    {
        var token = Token(audiences: ["vault"]);
        Assert.Contains("audiences", (await Authenticator().AuthenticateAsync(token, TokenIssuer.ApiAudiences, default)).Error);
        var forVault = await Authenticator().AuthenticateAsync(token, ["vault"], default);
        Assert.Equal(["vault"], forVault.Audiences);
    }

    [Fact]
    public async Task Deleting_the_service_account_or_the_bound_pod_revokes_the_token()
    {
        var bound = Token(bound: new BoundObject("Pod", "web", _podUid));
        var unbound = Token();
        var pod = await _objects.GetAsync(Resource("pods"), "team", "web");
        await _objects.DeleteAsync(Resource("pods"), "team", "web", Admission.ObjectMeta.Revision(pod!));
        Assert.Contains("pod team/web", (await Authenticator().AuthenticateAsync(bound, TokenIssuer.ApiAudiences, default)).Error);
        Assert.NotNull((await Authenticator().AuthenticateAsync(unbound, TokenIssuer.ApiAudiences, default)).User);

        // A service account of the same name made again has another uid: the old tokens stay dead.
        var sa = await _objects.GetAsync(Resource("serviceaccounts"), "team", "bot");
        await _objects.DeleteAsync(Resource("serviceaccounts"), "team", "bot", Admission.ObjectMeta.Revision(sa!));
        await _objects.CreateAsync(Resource("serviceaccounts"), "team", "bot", Object("ServiceAccount", "bot", Guid.NewGuid().ToString()));
        Assert.Contains("service account team/bot", (await Authenticator().AuthenticateAsync(unbound, TokenIssuer.ApiAudiences, default)).Error);
    }

    [Fact]
    public async Task Identity_tokens_name_nodes_and_the_controller_manager_only()
    {
        var issuer = new TokenIssuer(_key);
        var node = (await Authenticator().AuthenticateAsync(issuer.IssueIdentityToken("system:node:n1").Token, TokenIssuer.ApiAudiences, default)).User!;
        Assert.Equal("system:node:n1", node.Name);
        Assert.Equal(["system:nodes", "system:authenticated"], node.Groups);
        var manager = (await Authenticator().AuthenticateAsync(issuer.IssueIdentityToken("system:kube-controller-manager").Token, TokenIssuer.ApiAudiences, default)).User!;
        Assert.Equal("system:kube-controller-manager", manager.Name);
        Assert.Equal(["system:authenticated"], manager.Groups);
        Assert.Null((await Authenticator().AuthenticateAsync(issuer.IssueIdentityToken("kubernetes-admin").Token, TokenIssuer.ApiAudiences, default)).User);
    }
}
