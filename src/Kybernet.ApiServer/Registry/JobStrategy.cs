using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// batch/v1 Jobs: upstream's defaults (one pod to completion, 6 retries, NonIndexed, not suspended),
/// a selector generated from the job's uid unless manualSelector says the client brings its own
/// (upstream's generateSelector: the template gets the uid and name labels, new and legacy forms),
/// pods that restart OnFailure or Never, and a selector and template fixed once created.
/// </summary>
public sealed class JobStrategy : ResourceStrategy
{
    public const string ControllerUidLabel = "batch.kubernetes.io/controller-uid";
    public const string JobNameLabel = "batch.kubernetes.io/job-name";
    public const string LegacyControllerUidLabel = "controller-uid";
    public const string LegacyJobNameLabel = "job-name";

    public static readonly IReadOnlyList<string> RestartPolicies = ["OnFailure", "Never"];

    public JobStrategy() : base(ResourceDefinition.Grouped("batch", "Job", "jobs", "job", categories: ["all"])) =>
        Subresources = [new StatusSubresource(this)];

    public override IReadOnlyList<Subresource> Subresources { get; }

    public override void PrepareForCreate(JsonObject obj)
    {
        obj["status"] = new JsonObject();
        GenerateSelector(obj);
    }

    /// <summary>Unless the client manages the selector, select the job's own pods by its uid, and label the template so.</summary>
    public static void GenerateSelector(JsonObject job)
    {
        var spec = Defaults.Object(job, "spec");
        if (spec["manualSelector"] is JsonValue manual && manual.TryGetValue(out bool m) && m)
            return;
        var uid = ObjectMeta.Uid(job) ?? "";
        var name = ObjectMeta.Name(job) ?? "";
        var template = Defaults.Object(spec, "template");
        var labels = Defaults.Object(Defaults.Object(template, "metadata"), "labels");
        Defaults.Set(labels, ControllerUidLabel, () => uid);
        Defaults.Set(labels, JobNameLabel, () => name);
        Defaults.Set(labels, LegacyControllerUidLabel, () => uid);
        Defaults.Set(labels, LegacyJobNameLabel, () => name);
        Defaults.Set(spec, "selector", () => new JsonObject { ["matchLabels"] = new JsonObject { [ControllerUidLabel] = uid } });
    }

    public override void Default(JsonObject obj)
    {
        DefaultSpec(Defaults.Object(obj, "spec"));
        // batch/v1's defaulting: a job without labels of its own takes its template's (so it carries the job-name labels too).
        if (obj["metadata"]?["labels"] is not JsonObject { Count: > 0 } && obj["spec"]?["template"]?["metadata"]?["labels"] is JsonObject { Count: > 0 } labels)
            ObjectMeta.Metadata(obj)["labels"] = labels.DeepClone();
    }

    /// <summary>A job spec's defaults, for Jobs and for CronJobs' job templates.</summary>
    public static void DefaultSpec(JsonObject spec)
    {
        if (spec["completions"] is null && spec["parallelism"] is null)
        {
            spec["completions"] = 1;
            spec["parallelism"] = 1;
        }
        Defaults.Set(spec, "parallelism", () => 1);
        Defaults.Set(spec, "backoffLimit", () => 6);
        Defaults.Set(spec, "completionMode", () => "NonIndexed");
        Defaults.Set(spec, "suspend", () => false);
        if (spec["podFailurePolicy"] is null)
            Defaults.Set(spec, "podReplacementPolicy", () => "TerminatingOrFailed");
        PodTemplates.Default(spec["template"]);
    }

    public override void PrepareForUpdate(JsonObject next, JsonObject current) => KeepStatus(next, current);

    protected override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        var spec = obj["spec"] as JsonObject ?? [];
        ValidateSpec(spec, "spec", causes);
        bool manual = spec["manualSelector"] is JsonValue m && m.TryGetValue(out bool b) && b;
        if (spec["selector"] is JsonObject selector)
        {
            WorkloadStrategy.ValidateLabelSelector(spec, spec["template"]?["metadata"]?["labels"] as JsonObject, causes);
            // Not manual: the selector is the generated one, or the job would adopt other pods.
            var uid = ObjectMeta.Uid(obj);
            if (!manual && uid is not null && ObjectMeta.Str(selector["matchLabels"]?[ControllerUidLabel]) != uid)
                causes.Add(Causes.Invalid("spec.selector", selector.ToJsonString(), "`selector` not auto-generated"));
        }
        else
            causes.Add(Causes.Required("spec.selector"));
    }

    /// <summary>A job spec's checks, for Jobs and for CronJobs' job templates.</summary>
    public static void ValidateSpec(JsonObject spec, string path, List<StatusCause> causes)
    {
        foreach (var field in new[] { "parallelism", "completions", "backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished" })
            if (ObjectMeta.Integer(spec[field]) is < 0 and var n)
                causes.Add(Causes.Invalid($"{path}.{field}", n.ToString()!, "must be greater than or equal to 0"));
        if (ObjectMeta.Str(spec["completionMode"]) is { } mode && mode is not ("NonIndexed" or "Indexed"))
            causes.Add(Causes.NotSupported($"{path}.completionMode", mode, ["NonIndexed", "Indexed"]));
        if (ObjectMeta.Str(spec["completionMode"]) == "Indexed" && spec["completions"] is null)
            causes.Add(Causes.Required($"{path}.completions", "Required value: when completion mode is Indexed"));
        PodTemplates.Validate(spec["template"] as JsonObject, $"{path}.template", RestartPolicies, causes);
    }

    protected override void ValidateChange(JsonObject next, JsonObject current, List<StatusCause> causes)
    {
        WorkloadStrategy.ValidateSelectorUnchanged(next, current, causes);
        var template = next["spec"]?["template"];
        if (!JsonNode.DeepEquals(template, current["spec"]?["template"]))
            causes.Add(Causes.Immutable("spec.template", "{...}"));
        if (ObjectMeta.Str(next["spec"]?["completionMode"]) != ObjectMeta.Str(current["spec"]?["completionMode"]))
            causes.Add(Causes.Immutable("spec.completionMode", ObjectMeta.Str(next["spec"]?["completionMode"]) ?? ""));
    }
}
