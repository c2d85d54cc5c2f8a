using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Security;
using Kybernet.ApiServer.Security.Rbac;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kybernet.ApiServer.Registry.Reviews;

/// <summary>
/// authorization.k8s.io/v1 SelfSubjectRulesReview (`kubectl auth can-i --list`): every rule RBAC gives
/// the requesting user in spec.namespace (cluster-wide bindings included), split into resource and
/// non-resource rules. RBAC is the only authorizer that lists, so the answer is complete.
/// </summary>
public sealed class RulesReviewStrategy() : ReviewStrategy(Define("authorization.k8s.io", "SelfSubjectRulesReview", "selfsubjectrulesreviews"))
{
    public override Task<JsonObject> ReviewAsync(HttpContext context, string? ns, JsonObject body)
    {
        var user = RequestUser.Get(context);
        var policy = context.RequestServices.GetRequiredService<RbacCache>().Policy;
        var rules = policy.RulesFor(user, ObjectMeta.Str(body["spec"]?["namespace"]) ?? "").ToList();
        var resourceRules = new JsonArray();
        var nonResourceRules = new JsonArray();
        foreach (var rule in rules)
        {
            if (rule.NonResourceUrls.Count > 0)
                nonResourceRules.Add(new JsonObject { ["verbs"] = Strings(rule.Verbs), ["nonResourceURLs"] = Strings(rule.NonResourceUrls) });
            else
            {
                var json = new JsonObject { ["verbs"] = Strings(rule.Verbs), ["apiGroups"] = Strings(rule.ApiGroups), ["resources"] = Strings(rule.Resources) };
                if (rule.ResourceNames.Count > 0) json["resourceNames"] = Strings(rule.ResourceNames);
                resourceRules.Add(json);
            }
        }
        return Task.FromResult(Answer(body, new JsonObject { ["resourceRules"] = resourceRules, ["nonResourceRules"] = nonResourceRules, ["incomplete"] = false }));
    }

    private static JsonArray Strings(IReadOnlyList<string> values) => new(values.Select(v => (JsonNode?)v).ToArray());
}
