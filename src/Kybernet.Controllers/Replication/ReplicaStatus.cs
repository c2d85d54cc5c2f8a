using System.Globalization;
using System.Text.Json.Nodes;

namespace Kybernet.Controllers.Replication;

/// <summary>One status condition of a ReplicaSet or ReplicationController (both kinds have the same fields).</summary>
public sealed record ReplicaCondition(string Type, string Status, string? Reason, string? Message, DateTime? LastTransitionTime)
{
    /// <summary>Same meaning (the transition time aside).</summary>
    public bool SameAs(ReplicaCondition other) =>
        Type == other.Type && Status == other.Status && Reason == other.Reason && Message == other.Message;
}

/// <summary>
/// The status a ReplicaSet or ReplicationController reports: counts of its active pods, the generation they answer,
/// and its conditions (only ReplicaFailure is used, as upstream).
/// </summary>
public sealed record ReplicaStatus(int Replicas, int FullyLabeledReplicas, int ReadyReplicas, int AvailableReplicas, long? ObservedGeneration,
    IReadOnlyList<ReplicaCondition> Conditions)
{
    public const string ReplicaFailure = "ReplicaFailure";
    public const string FailedCreate = "FailedCreate";
    public const string FailedDelete = "FailedDelete";

    public ReplicaCondition? Condition(string type) => Conditions.FirstOrDefault(c => c.Type == type);

    /// <summary>Whether writing this over <paramref name="stored"/> would change anything a reader sees.</summary>
    public bool DiffersFrom(ReplicaStatus stored) =>
        Replicas != stored.Replicas || FullyLabeledReplicas != stored.FullyLabeledReplicas || ReadyReplicas != stored.ReadyReplicas ||
        AvailableReplicas != stored.AvailableReplicas || ObservedGeneration != stored.ObservedGeneration ||
        Conditions.Count != stored.Conditions.Count || Conditions.Zip(stored.Conditions).Any(pair => !pair.First.SameAs(pair.Second));

    /// <summary>
    /// A JSON merge patch that makes the stored status this one. Zero counts are removed rather than written as 0, as
    /// upstream's omitempty fields leave them (replicas, which is required, stays).
    /// </summary>
    public JsonObject ToMergePatch() => new()
    {
        ["status"] = new JsonObject
        {
            ["replicas"] = Replicas,
            ["fullyLabeledReplicas"] = OrNull(FullyLabeledReplicas),
            ["readyReplicas"] = OrNull(ReadyReplicas),
            ["availableReplicas"] = OrNull(AvailableReplicas),
            ["observedGeneration"] = ObservedGeneration,
            ["conditions"] = Conditions.Count == 0 ? null : new JsonArray([.. Conditions.Select(ToJson)]),
        },
    };

    private static JsonNode? OrNull(int count) => count == 0 ? null : JsonValue.Create(count);

    private static JsonNode ToJson(ReplicaCondition c)
    {
        var json = new JsonObject { ["type"] = c.Type, ["status"] = c.Status };
        if (c.LastTransitionTime is { } at)
            json["lastTransitionTime"] = DateTime.SpecifyKind(at, DateTimeKind.Utc).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        if (c.Reason is not null)
            json["reason"] = c.Reason;
        if (c.Message is not null)
            json["message"] = c.Message;
        return json;
    }
}
