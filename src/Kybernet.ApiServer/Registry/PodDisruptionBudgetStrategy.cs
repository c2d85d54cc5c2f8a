using System.Text.Json.Nodes;
using Kybernet.Api.Selectors;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// policy/v1 PodDisruptionBudgets: minAvailable or maxUnavailable (not both; a count or a percentage),
/// a selector, a status that is the disruption controller's (or, until one exists, the eviction's
/// reckoning, <see cref="DisruptionBudget"/>).
/// </summary>
public sealed class PodDisruptionBudgetStrategy : ResourceStrategy
{
    public PodDisruptionBudgetStrategy() : base(ResourceDefinition.Grouped("policy", "PodDisruptionBudget", "poddisruptionbudgets", "poddisruptionbudget", shortNames: ["pdb"])) =>
        Subresources = [new StatusSubresource(this)];

    public override IReadOnlyList<Subresource> Subresources { get; }

    public override void PrepareForCreate(JsonObject obj) => obj["status"] = new JsonObject
    {
        ["disruptionsAllowed"] = 0,
        ["currentHealthy"] = 0,
        ["desiredHealthy"] = 0,
        ["expectedPods"] = 0,
    };

    public override void PrepareForUpdate(JsonObject next, JsonObject current) => KeepStatus(next, current);

    protected override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        var spec = obj["spec"] as JsonObject ?? [];
        if (spec["minAvailable"] is not null && spec["maxUnavailable"] is not null)
            causes.Add(Causes.Invalid("spec", spec.ToJsonString(), "minAvailable and maxUnavailable cannot be both set"));
        IntOrPercent.Validate(spec["minAvailable"], "spec.minAvailable", causes);
        IntOrPercent.Validate(spec["maxUnavailable"], "spec.maxUnavailable", causes);
        if (spec["selector"] is JsonObject selector)
        {
            try { LabelSelector.FromJson(selector); }
            catch (SelectorException e) { causes.Add(Causes.Invalid("spec.selector", selector.ToJsonString(), e.Message)); }
        }
        if (ObjectMeta.Str(spec["unhealthyPodEvictionPolicy"]) is { } policy && policy is not ("IfHealthyBudget" or "AlwaysAllow"))
            causes.Add(Causes.NotSupported("spec.unhealthyPodEvictionPolicy", policy, ["AlwaysAllow", "IfHealthyBudget"]));
    }
}
