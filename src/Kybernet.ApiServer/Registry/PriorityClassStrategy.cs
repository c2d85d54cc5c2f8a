using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// scheduling.k8s.io/v1 PriorityClasses (cluster-wide): a value (user classes at most one billion; the
/// two built-in system classes above it), PreemptLowerPriority unless said otherwise, and a value and
/// preemption policy fixed once created. Names beginning "system-" are the built-in ones'.
/// </summary>
public sealed class PriorityClassStrategy() : ResourceStrategy(ResourceDefinition.Grouped("scheduling.k8s.io", "PriorityClass", "priorityclasses", "priorityclass", namespaced: false, shortNames: ["pc"]))
{
    /// <summary>Upstream's HighestUserDefinablePriority.</summary>
    public const long HighestUserDefinable = 1_000_000_000;

    /// <summary>The built-in classes every cluster has, created and kept by the server (upstream's SystemPriorityClasses).</summary>
    public static readonly IReadOnlyList<(string Name, long Value, string Description)> SystemClasses =
    [
        ("system-node-critical", 2_000_001_000, "Used for system critical pods that must not be moved from their current node."),
        ("system-cluster-critical", 2_000_000_000, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
    ];

    public override void Default(JsonObject obj)
    {
        Defaults.Set(obj, "preemptionPolicy", () => "PreemptLowerPriority");
        Defaults.Set(obj, "globalDefault", () => false);
    }

    protected override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        var name = ObjectMeta.Name(obj) ?? "";
        var value = ObjectMeta.Integer(obj["value"]);
        var system = SystemClasses.FirstOrDefault(c => c.Name == name);
        if (system.Name is not null)
        {
            if (value != system.Value)
                causes.Add(Causes.Forbidden("metadata.name", $"{name} is a built-in priority class whose value is {system.Value}"));
        }
        else if (name.StartsWith("system-", StringComparison.Ordinal))
            causes.Add(Causes.Forbidden("metadata.name", "priority class names with 'system-' prefix are reserved"));
        else if (value > HighestUserDefinable)
            causes.Add(Causes.Forbidden("value", $"maximum allowed value of a user defined priority is {HighestUserDefinable}"));
        if (value is null)
            causes.Add(Causes.Required("value"));
        if (ObjectMeta.Str(obj["preemptionPolicy"]) is { } policy && policy is not ("PreemptLowerPriority" or "Never"))
            causes.Add(Causes.NotSupported("preemptionPolicy", policy, ["Never", "PreemptLowerPriority"]));
    }

    protected override void ValidateChange(JsonObject next, JsonObject current, List<StatusCause> causes)
    {
        if (!JsonNode.DeepEquals(next["value"], current["value"]))
            causes.Add(Causes.Forbidden("value", "may not be changed in an update."));
        if (ObjectMeta.Str(next["preemptionPolicy"]) != ObjectMeta.Str(current["preemptionPolicy"]))
            causes.Add(Causes.Immutable("preemptionPolicy", ObjectMeta.Str(next["preemptionPolicy"]) ?? ""));
    }
}
