using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Security.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kybernet.ApiServer.Security.Rbac;

/// <summary>
/// RBAC's escalation prevention (upstream's ConfirmNoEscalation): a user may write a role, or bind one,
/// only if it already holds every permission that grants, in that namespace (or cluster-wide), unless
/// it has the verb "escalate" on the role (for roles) or "bind" on the role (for bindings).
/// system:masters may write anything. Each rule is split into single (verb, group, resource, name)
/// or (verb, URL) permissions, each of which one of the user's own rules must allow.
/// </summary>
public static class EscalationCheck
{
    /// <summary>Refuses <paramref name="granted"/> unless <paramref name="bypass"/> is allowed or the user holds all of it.</summary>
    public static void Require(HttpContext context, string ns, IReadOnlyList<PolicyRule> granted, RequestAttributes bypass, string qualifiedResource, string name)
    {
        var user = RequestUser.Get(context);
        if (user.IsMaster)
            return;
        var authorizer = context.RequestServices.GetRequiredService<Authorizer>();
        if (authorizer.Allows(bypass with { User = user }))
            return;
        var held = context.RequestServices.GetRequiredService<RbacCache>().Policy.RulesFor(user, ns).ToList();
        var missing = granted.Where(rule => !Covered(held, user, rule)).ToList();
        if (missing.Count == 0)
            return;
        var groups = string.Join(" ", user.Groups.Select(g => $"\"{g}\""));
        var rules = string.Join("\n", missing.Select(Describe));
        throw new ApiException(403, "Forbidden",
            $"{qualifiedResource} \"{name}\" is forbidden: user \"{user.Name}\" (groups=[{groups}]) is attempting to grant RBAC permissions not currently held:\n{rules}",
            name, RbacResources.Group, qualifiedResource.Split('.')[0]);
    }

    /// <summary>Whether the user's rules allow every single permission <paramref name="rule"/> grants.</summary>
    public static bool Covered(IReadOnlyList<PolicyRule> held, UserInfo user, PolicyRule rule)
    {
        foreach (var verb in rule.Verbs)
        {
            foreach (var url in rule.NonResourceUrls)
                if (!held.Any(h => RuleMatcher.Allows(h, RequestAttributes.ForPath(user, verb, url))))
                    return false;
            foreach (var group in rule.ApiGroups)
                foreach (var resource in rule.Resources)
                {
                    var slash = resource.IndexOf('/');
                    var (main, sub) = slash < 0 ? (resource, "") : (resource[..slash], resource[(slash + 1)..]);
                    IReadOnlyList<string> names = rule.ResourceNames.Count > 0 ? rule.ResourceNames : [""];
                    foreach (var n in names)
                        if (!held.Any(h => RuleMatcher.Allows(h, RequestAttributes.ForResource(user, verb, group, main, sub, name: n))))
                            return false;
                }
        }
        return true;
    }

    private static string Describe(PolicyRule rule)
    {
        static string List(IReadOnlyList<string> values) => "[" + string.Join(" ", values.Select(v => $"\"{v}\"")) + "]";
        var parts = new List<string>();
        if (rule.ApiGroups.Count > 0) parts.Add($"APIGroups:{List(rule.ApiGroups)}");
        if (rule.Resources.Count > 0) parts.Add($"Resources:{List(rule.Resources)}");
        if (rule.ResourceNames.Count > 0) parts.Add($"ResourceNames:{List(rule.ResourceNames)}");
        if (rule.NonResourceUrls.Count > 0) parts.Add($"NonResourceURLs:{List(rule.NonResourceUrls)}");
        parts.Add($"Verbs:{List(rule.Verbs)}");
        return "{" + string.Join(", ", parts) + "}";
    }
}
