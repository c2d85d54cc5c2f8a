using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Security.Authentication;

/// <summary>What a bound token is bound to: a Pod or a Secret, by name and uid (TokenRequest's boundObjectRef).</summary>
public sealed record BoundObject(string Kind, string Name, string Uid);

/// <summary>The node a pod-bound token's pod runs on, when it is scheduled and the node exists.</summary>
public sealed record BoundNode(string Name, string Uid);

/// <summary>A token issued, and when it expires.</summary>
public sealed record IssuedToken(string Token, DateTimeOffset ExpiresAt);

/// <summary>
/// Issues the server's JWTs. ServiceAccount tokens carry upstream's claims (iss, sub
/// system:serviceaccount:NS:NAME, aud, exp, iat, nbf, jti, and "kubernetes.io" with the namespace, the
/// service account's name and uid, and the bound pod or secret and the pod's node). Identity tokens (a
/// node's agent, the in-process controller manager) carry only the standard claims and a subject that
/// names the identity; they live a year (upstream's kubelet client certificates do) and are not
/// revocable but by rotating the key.
/// </summary>
public sealed class TokenIssuer(SigningKey key, TimeProvider? clock = null)
{
    /// <summary>The issuer, and the audience the API server itself accepts (upstream's defaults).</summary>
    public const string Issuer = "https://kubernetes.default.svc.cluster.local";

    public static readonly IReadOnlyList<string> ApiAudiences = [Issuer];

    public static readonly TimeSpan IdentityLifetime = TimeSpan.FromDays(365);

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    public SigningKey Key => key;

    public IssuedToken IssueServiceAccountToken(string ns, string name, string uid, IReadOnlyList<string> audiences, TimeSpan lifetime,
        BoundObject? bound = null, BoundNode? node = null)
    {
        var kubernetes = new JsonObject
        {
            ["namespace"] = ns,
            ["serviceaccount"] = new JsonObject { ["name"] = name, ["uid"] = uid },
        };
        if (bound is not null)
            kubernetes[bound.Kind.ToLowerInvariant()] = new JsonObject { ["name"] = bound.Name, ["uid"] = bound.Uid };
        if (node is not null)
            kubernetes["node"] = new JsonObject { ["name"] = node.Name, ["uid"] = node.Uid };
        return Issue(UserInfo.ServiceAccountUserName(ns, name), audiences, lifetime, kubernetes);
    }

    /// <summary>A token for a node's agent (system:node:NAME) or the controller manager.</summary>
    public IssuedToken IssueIdentityToken(string userName) => Issue(userName, ApiAudiences, IdentityLifetime, null);

    private IssuedToken Issue(string subject, IReadOnlyList<string> audiences, TimeSpan lifetime, JsonObject? kubernetes)
    {
        var now = _clock.GetUtcNow();
        var expires = now + lifetime;
        var claims = new JsonObject
        {
            ["aud"] = new JsonArray(audiences.Select(a => (JsonNode?)a).ToArray()),
            ["exp"] = expires.ToUnixTimeSeconds(),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["iss"] = Issuer,
            ["jti"] = Guid.NewGuid().ToString(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["sub"] = subject,
        };
        if (kubernetes is not null)
            claims["kubernetes.io"] = kubernetes;
        return new IssuedToken(JsonWebToken.Sign(key, claims), DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds()));
    }
}
