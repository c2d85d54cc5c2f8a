using System.Text.Json.Nodes;
using Kybernet.Api.Selectors;
using Kybernet.ApiServer.Admission;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// What a PodDisruptionBudget allows right now, reckoned from the pods it selects (upstream's disruption
/// controller keeps this in the PDB's status; until Kybernet has that controller, the eviction reckons
/// it itself at the moment it is asked). Expected pods are the pods the budget selects (upstream asks
/// their controllers' scale; with no controllers' view here the selected pods are the count), healthy
/// ones are those Ready and not being deleted; minAvailable and maxUnavailable, counts or percentages
/// (rounded up, as upstream), say how many must stay healthy.
/// </summary>
public sealed record DisruptionBudget(long ExpectedPods, long CurrentHealthy, long DesiredHealthy)
{
    public long DisruptionsAllowed => Math.Max(0, CurrentHealthy - DesiredHealthy);

    /// <summary>The budget <paramref name="pdb"/> sets over <paramref name="pods"/> (all the pods of its namespace; it picks those it selects).</summary>
    public static DisruptionBudget Reckon(JsonObject pdb, IEnumerable<JsonObject> pods)
    {
        var selected = pods.Where(p => Selects(pdb, p)).ToList();
        long expected = selected.Count;
        long healthy = selected.Count(IsHealthy);
        var spec = pdb["spec"];
        long desired;
        if (spec?["maxUnavailable"] is { } maxUnavailable)
            desired = Math.Max(0, expected - (IntOrPercent.Scaled(maxUnavailable, expected, roundUp: true) ?? 0));
        else if (spec?["minAvailable"] is { } minAvailable)
            desired = IntOrPercent.Scaled(minAvailable, expected, roundUp: true) ?? 0;
        else
            desired = 0; // neither set: nothing needs to stay up (as upstream's disruption controller reckons it)
        return new DisruptionBudget(expected, healthy, desired);
    }

    /// <summary>Whether the budget covers the pod: policy/v1's selector, where an empty one selects every pod of the namespace and none selects none.</summary>
    public static bool Selects(JsonObject pdb, JsonObject pod)
    {
        if (ObjectMeta.Namespace(pdb) != ObjectMeta.Namespace(pod) || pdb["spec"]?["selector"] is not JsonObject selector)
            return false;
        try { return LabelSelector.FromJson(selector).Matches(ObjectMeta.Labels(pod)); }
        catch (SelectorException)
        {
            return false; // validated on write; a selector that does not parse selects nothing
        }
    }

    /// <summary>Ready and not on its way out: what counts towards a budget.</summary>
    public static bool IsHealthy(JsonObject pod) =>
        !ObjectMeta.IsDeleting(pod)
        && (pod["status"]?["conditions"] as JsonArray ?? []).Any(c => ObjectMeta.Str(c?["type"]) == "Ready" && ObjectMeta.Str(c?["status"]) == "True");

    /// <summary>The PDB's status as this reckoning sees it.</summary>
    public void WriteStatus(JsonObject pdb)
    {
        var status = Defaults.Object(pdb, "status");
        status["expectedPods"] = ExpectedPods;
        status["currentHealthy"] = CurrentHealthy;
        status["desiredHealthy"] = DesiredHealthy;
        status["disruptionsAllowed"] = DisruptionsAllowed;
        if (ObjectMeta.Integer(pdb["metadata"]?["generation"]) is { } generation)
            status["observedGeneration"] = generation;
    }
}
