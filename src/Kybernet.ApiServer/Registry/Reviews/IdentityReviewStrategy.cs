using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Security;
using Kybernet.ApiServer.Security.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kybernet.ApiServer.Registry.Reviews;

/// <summary>
/// authentication.k8s.io/v1 TokenReview (is this token good, and whose is it: for webhooks and
/// components that take tokens) and SelfSubjectReview (who am I: `kubectl auth whoami`).
/// </summary>
public sealed class IdentityReviewStrategy : ReviewStrategy
{
    private readonly bool _self;

    private IdentityReviewStrategy(bool self, string kind, string resource) : base(Define("authentication.k8s.io", kind, resource)) => _self = self;

    public static IdentityReviewStrategy TokenReviews() => new(false, "TokenReview", "tokenreviews");

    public static IdentityReviewStrategy SelfSubjectReviews() => new(true, "SelfSubjectReview", "selfsubjectreviews");

    public override async Task<JsonObject> ReviewAsync(HttpContext context, string? ns, JsonObject body)
    {
        if (_self)
            return Answer(body, new JsonObject { ["userInfo"] = Json(RequestUser.Get(context)) });

        var token = ObjectMeta.Str(body["spec"]?["token"]) ?? "";
        var wanted = body["spec"]?["audiences"] is JsonArray a ? a.Select(ObjectMeta.Str).OfType<string>().ToList() : [];
        var audiences = wanted.Count > 0 ? wanted : TokenIssuer.ApiAudiences;
        var tokens = context.RequestServices.GetRequiredService<TokenAuthenticator>();
        var result = token.Length == 0 ? TokenResult.Refused("token is empty") : await tokens.AuthenticateAsync(token, audiences, context.RequestAborted);
        var status = result.User is { } user
            ? new JsonObject { ["authenticated"] = true, ["user"] = Json(user), ["audiences"] = new JsonArray(result.Audiences.Select(x => (JsonNode?)x).ToArray()) }
            : new JsonObject { ["user"] = new JsonObject(), ["error"] = result.Error };
        return Answer(body, status);
    }

    private static JsonObject Json(UserInfo user)
    {
        var o = new JsonObject { ["username"] = user.Name };
        if (user.Uid is { } uid) o["uid"] = uid;
        o["groups"] = new JsonArray(user.Groups.Select(g => (JsonNode?)g).ToArray());
        if (user.Extra is { Count: > 0 } extra)
            o["extra"] = new JsonObject(extra.Select(e => KeyValuePair.Create(e.Key, (JsonNode?)new JsonArray(e.Value.Select(v => (JsonNode?)v).ToArray()))));
        return o;
    }
}
