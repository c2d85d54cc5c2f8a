using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Security.Rbac;

/// <summary>One rule of a Role or ClusterRole (rbac.authorization.k8s.io/v1 PolicyRule), read from its JSON.</summary>
public sealed record PolicyRule(
    IReadOnlyList<string> Verbs,
    IReadOnlyList<string> ApiGroups,
    IReadOnlyList<string> Resources,
    IReadOnlyList<string> ResourceNames,
    IReadOnlyList<string> NonResourceUrls)
{
    public static PolicyRule From(JsonNode? rule) => new(
        Strings(rule?["verbs"]), Strings(rule?["apiGroups"]), Strings(rule?["resources"]),
        Strings(rule?["resourceNames"]), Strings(rule?["nonResourceURLs"]));

    /// <summary>Everything (cluster-admin's rules): what only a user holding all of it may grant without "escalate" or "bind".</summary>
    public static readonly IReadOnlyList<PolicyRule> FullAuthority =
    [
        new(["*"], ["*"], ["*"], [], []),
        new(["*"], [], [], [], ["*"]),
    ];

    public static IReadOnlyList<PolicyRule> ListFrom(JsonNode? rules) =>
        rules is JsonArray a ? a.Select(From).ToList() : [];

    public JsonObject ToJson()
    {
        var o = new JsonObject { ["verbs"] = Json(Verbs) };
        if (ApiGroups.Count > 0 || Resources.Count > 0) o["apiGroups"] = Json(ApiGroups);
        if (Resources.Count > 0) o["resources"] = Json(Resources);
        if (ResourceNames.Count > 0) o["resourceNames"] = Json(ResourceNames);
        if (NonResourceUrls.Count > 0) o["nonResourceURLs"] = Json(NonResourceUrls);
        return o;
    }

    /// <summary>The same rule, whatever the order of its lists (how the reconciler compares rules).</summary>
    public bool SameAs(PolicyRule other) =>
        Set(Verbs).SetEquals(other.Verbs) && Set(ApiGroups).SetEquals(other.ApiGroups) && Set(Resources).SetEquals(other.Resources)
        && Set(ResourceNames).SetEquals(other.ResourceNames) && Set(NonResourceUrls).SetEquals(other.NonResourceUrls);

    private static HashSet<string> Set(IReadOnlyList<string> values) => [.. values];

    private static JsonArray Json(IReadOnlyList<string> values) => new(values.Select(v => (JsonNode?)v).ToArray());

    private static IReadOnlyList<string> Strings(JsonNode? node) =>
        node is JsonArray a ? a.Where(v => v is JsonValue s && s.GetValueKind() == JsonValueKind.String).Select(v => v!.GetValue<string>()).ToList() : [];
}
