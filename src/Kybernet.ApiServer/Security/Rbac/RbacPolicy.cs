using System.Text.Json;
using System.Text.Json.Nodes;
using Kybernet.Api.Selectors;
using Kybernet.ApiServer.Security.Authorization;

namespace Kybernet.ApiServer.Security.Rbac;

/// <summary>A binding's subject: a User, a Group or a ServiceAccount (with its namespace).</summary>
public sealed record Subject(string Kind, string Name, string Namespace)
{
    public bool AppliesTo(UserInfo user) => Kind switch
    {
        "User" => user.Name == Name,
        "Group" => user.Groups.Contains(Name),
        "ServiceAccount" => user.Name == UserInfo.ServiceAccountUserName(Namespace, Name),
        _ => false,
    };

    public static IReadOnlyList<Subject> ListFrom(JsonNode? subjects, string bindingNamespace) => subjects is JsonArray a
        ? a.OfType<JsonObject>().Select(s => new Subject(Str(s["kind"]) ?? "", Str(s["name"]) ?? "", Str(s["namespace"]) is { Length: > 0 } ns ? ns : bindingNamespace)).ToList()
        : [];

    internal static string? Str(JsonNode? n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}

/// <summary>A RoleBinding or ClusterRoleBinding: which role (Role or ClusterRole, by name) to whom.</summary>
public sealed record Binding(string Name, string Namespace, string RoleKind, string RoleName, IReadOnlyList<Subject> Subjects)
{
    public static Binding From(JsonObject binding)
    {
        var ns = Subject.Str(binding["metadata"]?["namespace"]) ?? "";
        return new(Subject.Str(binding["metadata"]?["name"]) ?? "", ns, Subject.Str(binding["roleRef"]?["kind"]) ?? "",
            Subject.Str(binding["roleRef"]?["name"]) ?? "", Subject.ListFrom(binding["subjects"], ns));
    }
}

/// <summary>
/// The cluster's RBAC objects at one moment, immutable and indexed for the authorizer: cluster roles
/// (with the rules of aggregated ones gathered from the roles their selectors match, as upstream's
/// aggregation controller would write them), roles, and the bindings by namespace. Deny by default:
/// a request is allowed when some binding that applies to the user grants a rule that matches it.
/// </summary>
public sealed class RbacPolicy
{
    private readonly Dictionary<string, IReadOnlyList<PolicyRule>> _clusterRoles;
    private readonly Dictionary<(string Namespace, string Name), IReadOnlyList<PolicyRule>> _roles;
    private readonly IReadOnlyList<Binding> _clusterBindings;
    private readonly Dictionary<string, List<Binding>> _bindingsByNamespace;

    public RbacPolicy(IEnumerable<JsonObject> clusterRoles, IEnumerable<JsonObject> roles, IEnumerable<JsonObject> clusterRoleBindings, IEnumerable<JsonObject> roleBindings)
    {
        var all = clusterRoles.ToList();
        _clusterRoles = [];
        foreach (var role in all)
        {
            var name = Subject.Str(role["metadata"]?["name"]) ?? "";
            _clusterRoles[name] = role["aggregationRule"] is JsonObject aggregation ? Aggregate(aggregation, all) : PolicyRule.ListFrom(role["rules"]);
        }
        _roles = roles.ToDictionary(r => (Subject.Str(r["metadata"]?["namespace"]) ?? "", Subject.Str(r["metadata"]?["name"]) ?? ""), r => PolicyRule.ListFrom(r["rules"]));
        _clusterBindings = clusterRoleBindings.Select(Binding.From).ToList();
        _bindingsByNamespace = roleBindings.Select(Binding.From).GroupBy(b => b.Namespace).ToDictionary(g => g.Key, g => g.ToList());
    }

    public static RbacPolicy Empty { get; } = new([], [], [], []);

    /// <summary>The rules of every cluster role an aggregation rule's selectors match (the aggregated role's own included only if it matches).</summary>
    public static IReadOnlyList<PolicyRule> Aggregate(JsonObject aggregation, IReadOnlyList<JsonObject> clusterRoles)
    {
        var selectors = (aggregation["clusterRoleSelectors"] as JsonArray ?? []).OfType<JsonObject>().Select(TryParse).OfType<LabelSelector>().ToList();
        var rules = new List<PolicyRule>();
        foreach (var role in clusterRoles.OrderBy(r => Subject.Str(r["metadata"]?["name"]), StringComparer.Ordinal))
        {
            if (role["aggregationRule"] is not null || !selectors.Any(s => s.Matches(role)))
                continue;
            foreach (var rule in PolicyRule.ListFrom(role["rules"]))
                if (!rules.Any(r => r.SameAs(rule)))
                    rules.Add(rule);
        }
        return rules;
    }

    private static LabelSelector? TryParse(JsonObject selector)
    {
        try { return LabelSelector.FromJson(selector); }
        catch (SelectorException) { return null; }
    }

    public bool Allows(RequestAttributes request) =>
        RulesFor(request.User, request.Namespace).Any(rule => RuleMatcher.Allows(rule, request));

    /// <summary>Every rule that applies to the user in the namespace ("" : cluster-wide rules only).</summary>
    public IEnumerable<PolicyRule> RulesFor(UserInfo user, string ns)
    {
        foreach (var binding in _clusterBindings)
            if (binding.RoleKind == "ClusterRole" && binding.Subjects.Any(s => s.AppliesTo(user)))
                foreach (var rule in ClusterRoleRules(binding.RoleName))
                    yield return rule;
        if (ns.Length == 0 || !_bindingsByNamespace.TryGetValue(ns, out var bindings))
            yield break;
        foreach (var binding in bindings)
        {
            if (!binding.Subjects.Any(s => s.AppliesTo(user)))
                continue;
            var rules = binding.RoleKind switch
            {
                "ClusterRole" => ClusterRoleRules(binding.RoleName),
                "Role" => _roles.GetValueOrDefault((ns, binding.RoleName)) ?? [],
                _ => [],
            };
            foreach (var rule in rules)
                yield return rule;
        }
    }

    /// <summary>A cluster role's effective rules (gathered, for an aggregated one); none when it does not exist.</summary>
    public IReadOnlyList<PolicyRule> ClusterRoleRules(string name) => _clusterRoles.GetValueOrDefault(name) ?? [];

    /// <summary>The rules a binding's roleRef names (a Role in <paramref name="ns"/> or a ClusterRole); null when that role does not exist.</summary>
    public IReadOnlyList<PolicyRule>? RulesOfExisting(string roleKind, string ns, string name) => roleKind == "Role"
        ? _roles.GetValueOrDefault((ns, name))
        : _clusterRoles.GetValueOrDefault(name);
}
