using System.Text.Json.Nodes;
using Kybernet.Api.Selectors;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// What Deployments, ReplicaSets and ReplicationControllers share: one replica unless said
/// otherwise, a pod template defaulted and checked as a pod spec is, a selector that must select the
/// template's labels, a status that is the controller's, and /status and /scale. Each kind says how
/// it keeps its selector.
/// </summary>
public abstract class WorkloadStrategy : ResourceStrategy
{
    protected WorkloadStrategy(ResourceDefinition resource) : base(resource) =>
        Subresources = [new StatusSubresource(this), new ScaleSubresource(SelectorQuery)];

    public override IReadOnlyList<Subresource> Subresources { get; }

    /// <summary>The selector as a label query ("app=web"), for the Scale's status.selector.</summary>
    protected abstract string SelectorQuery(JsonObject workload);

    /// <summary>The kind's checks of its selector against the template's labels.</summary>
    protected abstract void ValidateSelector(JsonObject spec, JsonObject? templateLabels, List<StatusCause> causes);

    public override void PrepareForCreate(JsonObject obj) => obj["status"] = new JsonObject();

    public override void Default(JsonObject obj)
    {
        var spec = Defaults.Object(obj, "spec");
        Defaults.Set(spec, "replicas", () => 1);
        if (spec["template"]?["spec"] is JsonObject podSpec)
            PodSpecs.Default(podSpec);
    }

    public override void PrepareForUpdate(JsonObject next, JsonObject current) => KeepStatus(next, current);

    protected override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        var spec = obj["spec"] as JsonObject;
        if (spec?["replicas"] is JsonValue v && v.TryGetValue(out long replicas) && replicas < 0)
            causes.Add(Causes.Invalid("spec.replicas", replicas.ToString(), "must be greater than or equal to 0"));
        if (spec?["template"] is not JsonObject template)
        {
            causes.Add(Causes.Required("spec.template"));
            return;
        }
        PodSpecs.Validate(template["spec"] as JsonObject, "spec.template.spec", causes);
        ValidateSelector(spec, template["metadata"]?["labels"] as JsonObject, causes);
    }

    /// <summary>
    /// An apps/v1 selector (matchLabels, matchExpressions): required, not empty, and selecting the
    /// template's labels. Deployments and ReplicaSets check theirs this way.
    /// </summary>
    internal static void ValidateLabelSelector(JsonObject spec, JsonObject? templateLabels, List<StatusCause> causes)
    {
        if (spec["selector"] is not JsonObject selector)
        {
            causes.Add(Causes.Required("spec.selector"));
            return;
        }
        LabelSelector parsed;
        try { parsed = LabelSelector.FromJson(selector); }
        catch (SelectorException e)
        {
            causes.Add(Causes.Invalid("spec.selector", selector.ToJsonString(), e.Message));
            return;
        }
        if (parsed.IsEverything)
            causes.Add(Causes.Invalid("spec.selector", "", "empty selector is invalid for deployment"));
        else if (!parsed.Matches(AsMap(templateLabels)))
            causes.Add(Causes.Invalid("spec.template.metadata.labels", templateLabels?.ToJsonString() ?? "", "`selector` does not match template `labels`"));
    }

    /// <summary>apps/v1 selectors are fixed once created (changing one would orphan the pods it selected).</summary>
    internal static void ValidateSelectorUnchanged(JsonObject next, JsonObject current, List<StatusCause> causes)
    {
        var selector = next["spec"]?["selector"];
        if (!JsonNode.DeepEquals(selector, current["spec"]?["selector"]))
            causes.Add(Causes.Immutable("spec.selector", selector?.ToJsonString() ?? "null"));
    }

    internal static Dictionary<string, string> AsMap(JsonObject? labels) =>
        labels?.ToDictionary(p => p.Key, p => ObjectMeta.Str(p.Value) ?? "") ?? [];
}
