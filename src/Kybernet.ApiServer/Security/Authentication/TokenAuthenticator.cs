using System.Text.Json;
using System.Text.Json.Nodes;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Storage;

namespace Kybernet.ApiServer.Security.Authentication;

/// <summary>What checking a token found: the user and the audiences it was accepted for, or why it was refused.</summary>
public sealed record TokenResult(UserInfo? User, IReadOnlyList<string> Audiences, string? Error)
{
    public static TokenResult Refused(string error) => new(null, [], error);
}

/// <summary>
/// Checks the server's JWTs (<see cref="TokenIssuer"/>): signature, issuer, expiry, not-before and
/// audience; then, for a ServiceAccount token, that the service account still exists with the uid the
/// token names, and so does the pod or secret it is bound to (so deleting either revokes it at once);
/// for an identity token, that its subject is one the server issues such tokens for.
/// </summary>
public sealed class TokenAuthenticator(SigningKey key, ObjectStore objects, ResourceCatalog catalog, TimeProvider? clock = null)
{
    /// <summary>How far clocks may disagree on exp and nbf.</summary>
    private static readonly TimeSpan Leeway = TimeSpan.FromSeconds(60);

    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <param name="audiences">Audiences the caller accepts; one of them must be in the token's.</param>
    public async Task<TokenResult> AuthenticateAsync(string token, IReadOnlyList<string> audiences, CancellationToken ct)
    {
        if (JsonWebToken.Verify(key, token) is not { } claims)
            return TokenResult.Refused("invalid bearer token");
        if (Str(claims["iss"]) != TokenIssuer.Issuer)
            return TokenResult.Refused("token issuer is not accepted");
        var now = _clock.GetUtcNow().ToUnixTimeSeconds();
        if (Num(claims["exp"]) is not { } exp || exp + Leeway.TotalSeconds < now)
            return TokenResult.Refused("token has expired");
        if (Num(claims["nbf"]) is { } nbf && nbf - Leeway.TotalSeconds > now)
            return TokenResult.Refused("token is not valid yet");
        var tokenAudiences = claims["aud"] switch
        {
            JsonArray a => a.Select(Str).OfType<string>().ToList(),
            JsonValue v when Str(v) is { } one => [one],
            _ => [],
        };
        var accepted = tokenAudiences.Intersect(audiences).ToList();
        if (accepted.Count == 0)
            return TokenResult.Refused("token audiences is invalid for the target audiences");
        if (Str(claims["sub"]) is not { } subject)
            return TokenResult.Refused("token has no subject");

        if (claims["kubernetes.io"] is not JsonObject kubernetes)
        {
            if (subject == UserInfo.ControllerManagerName)
                return new TokenResult(UserInfo.ControllerManager, accepted, null);
            if (subject.StartsWith(UserInfo.NodePrefix, StringComparison.Ordinal) && subject.Length > UserInfo.NodePrefix.Length)
                return new TokenResult(UserInfo.Node(subject[UserInfo.NodePrefix.Length..]), accepted, null);
            return TokenResult.Refused("token names no identity");
        }
        return await ServiceAccountAsync(subject, kubernetes, accepted, ct);
    }

    private async Task<TokenResult> ServiceAccountAsync(string subject, JsonObject kubernetes, List<string> accepted, CancellationToken ct)
    {
        var ns = Str(kubernetes["namespace"]);
        var saName = Str(kubernetes["serviceaccount"]?["name"]);
        var saUid = Str(kubernetes["serviceaccount"]?["uid"]);
        if (ns is null || saName is null || saUid is null || subject != UserInfo.ServiceAccountUserName(ns, saName))
            return TokenResult.Refused("token has malformed service account claims");
        if (await UidOf("serviceaccounts", ns, saName, ct) != saUid)
            return TokenResult.Refused($"service account {ns}/{saName} has been deleted");
        var extra = new Dictionary<string, IReadOnlyList<string>>();
        if (kubernetes["pod"] is JsonObject pod)
        {
            var (podName, podUid) = (Str(pod["name"]), Str(pod["uid"]));
            if (podName is null || podUid is null || await UidOf("pods", ns, podName, ct) != podUid)
                return TokenResult.Refused($"pod {ns}/{podName} the token is bound to has been deleted");
            extra["authentication.kubernetes.io/pod-name"] = [podName];
            extra["authentication.kubernetes.io/pod-uid"] = [podUid];
        }
        if (kubernetes["secret"] is JsonObject secret)
        {
            var (secretName, secretUid) = (Str(secret["name"]), Str(secret["uid"]));
            if (secretName is null || secretUid is null || await UidOf("secrets", ns, secretName, ct) != secretUid)
                return TokenResult.Refused($"secret {ns}/{secretName} the token is bound to has been deleted");
        }
        if (kubernetes["node"] is JsonObject node && Str(node["name"]) is { } nodeName)
        {
            extra["authentication.kubernetes.io/node-name"] = [nodeName];
            if (Str(node["uid"]) is { } nodeUid) extra["authentication.kubernetes.io/node-uid"] = [nodeUid];
        }
        var user = new UserInfo(subject, UserInfo.ServiceAccountGroups(ns), saUid, extra.Count > 0 ? extra : null);
        return new TokenResult(user, accepted, null);
    }

    private async Task<string?> UidOf(string resource, string ns, string name, CancellationToken ct) =>
        catalog.Find("", "v1", resource) is { } r && await objects.GetAsync(r, ns, name, ct) is { } obj ? Str(obj["metadata"]?["uid"]) : null;

    private static string? Str(JsonNode? n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    private static long? Num(JsonNode? n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<long>() : null;
}
