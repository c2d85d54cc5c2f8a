using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Security;
using Kybernet.ApiServer.Security.Authorization;
using Microsoft.AspNetCore.Http;
using Kybernet.ApiServer.Security.Rbac;

namespace Kybernet.ApiServer.Registry.Rbac;

/// <summary>
/// Roles and ClusterRoles (upstream's pkg/registry/rbac role and clusterrole strategies): names are path
/// segments ("system:node" is one), every rule names verbs, and either resources (with API groups) or
/// non-resource URLs, never both; a namespaced Role has no non-resource URLs. A ClusterRole may carry an
/// aggregationRule, whose selectors must parse.
/// </summary>
public sealed class RoleStrategy(ResourceDefinition resource) : ResourceStrategy(resource)
{
    public static RoleStrategy Roles() => new(RbacResources.Roles);

    public static RoleStrategy ClusterRoles() => new(RbacResources.ClusterRoles);

    protected override IReadOnlyList<string> ValidateName(string name) => RbacNames.ValidatePathSegment(name);

    /// <summary>
    /// A role may grant only what its writer holds, unless the writer may "escalate" it. An aggregation
    /// rule may later gather any role's rules (cluster-admin's too), so writing one takes full authority,
    /// as upstream requires.
    /// </summary>
    public override void AdmitWrite(HttpContext context, string? ns, JsonObject obj)
    {
        var name = ObjectMeta.Name(obj) ?? "";
        var scope = Resource.Namespaced ? ns ?? "" : "";
        var granted = obj["aggregationRule"] is JsonObject ? PolicyRule.FullAuthority : PolicyRule.ListFrom(obj["rules"]);
        EscalationCheck.Require(context, scope, granted,
            RequestAttributes.ForResource(UserInfo.Admin, "escalate", RbacResources.Group, Resource.Resource, ns: scope, name: name), Resource.QualifiedResource, name);
    }

    protected override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        if (obj["rules"] is JsonArray rules)
            for (int i = 0; i < rules.Count; i++)
                ValidateRule(PolicyRule.From(rules[i]), $"rules[{i}]", Resource.Namespaced, causes);
        if (obj["aggregationRule"] is JsonObject aggregation && aggregation["clusterRoleSelectors"] is JsonArray selectors)
            for (int i = 0; i < selectors.Count; i++)
            {
                try { Kybernet.Api.Selectors.LabelSelector.FromJson(selectors[i] as JsonObject); }
                catch (Kybernet.Api.Selectors.SelectorException e)
                {
                    causes.Add(Causes.Invalid($"aggregationRule.clusterRoleSelectors[{i}]", selectors[i]?.ToJsonString() ?? "", e.Message));
                }
            }
    }

    /// <summary>Upstream's ValidatePolicyRule.</summary>
    public static void ValidateRule(PolicyRule rule, string path, bool namespaced, List<StatusCause> causes)
    {
        if (rule.Verbs.Count == 0)
            causes.Add(Causes.Required($"{path}.verbs", "Required value: verbs must contain at least one value"));
        if (rule.NonResourceUrls.Count > 0)
        {
            if (namespaced)
                causes.Add(Causes.Invalid($"{path}.nonResourceURLs", string.Join(",", rule.NonResourceUrls), "namespaced rules cannot apply to non-resource URLs"));
            if (rule.ApiGroups.Count > 0 || rule.Resources.Count > 0)
                causes.Add(Causes.Invalid($"{path}.nonResourceURLs", string.Join(",", rule.NonResourceUrls), "rules cannot apply to both regular resources and non-resource URLs"));
            return;
        }
        if (rule.ApiGroups.Count == 0)
            causes.Add(Causes.Required($"{path}.apiGroups", "Required value: resource rules must supply at least one api group"));
        if (rule.Resources.Count == 0)
            causes.Add(Causes.Required($"{path}.resources", "Required value: resource rules must supply at least one resource"));
    }
}

/// <summary>RBAC's names: path segments (upstream's ValidatePathSegmentName), so "system:node" is allowed.</summary>
public static class RbacNames
{
    public static IReadOnlyList<string> ValidatePathSegment(string name)
    {
        if (name is "." or "..")
            return [$"may not be '{name}'"];
        var bad = new[] { "/", "%" }.Where(name.Contains).Select(s => $"may not contain '{s}'").ToList();
        return bad;
    }
}
