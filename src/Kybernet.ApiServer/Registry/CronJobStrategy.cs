using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// batch/v1 CronJobs: upstream's defaults (Allow concurrent runs, not suspended, keep 3 succeeded and 1
/// failed job), a schedule that parses as cron (time zones in the timeZone field, not in the schedule),
/// and a job template checked as a Job's spec is.
/// </summary>
public sealed class CronJobStrategy : ResourceStrategy
{
    public CronJobStrategy() : base(ResourceDefinition.Grouped("batch", "CronJob", "cronjobs", "cronjob", shortNames: ["cj"], categories: ["all"])) =>
        Subresources = [new StatusSubresource(this)];

    public override IReadOnlyList<Subresource> Subresources { get; }

    public override void PrepareForCreate(JsonObject obj) => obj["status"] = new JsonObject();

    public override void Default(JsonObject obj)
    {
        var spec = Defaults.Object(obj, "spec");
        Defaults.Set(spec, "concurrencyPolicy", () => "Allow");
        Defaults.Set(spec, "suspend", () => false);
        Defaults.Set(spec, "successfulJobsHistoryLimit", () => 3);
        Defaults.Set(spec, "failedJobsHistoryLimit", () => 1);
        if (spec["jobTemplate"]?["spec"] is JsonObject jobSpec)
            JobStrategy.DefaultSpec(jobSpec);
    }

    public override void PrepareForUpdate(JsonObject next, JsonObject current) => KeepStatus(next, current);

    protected override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        var spec = obj["spec"] as JsonObject ?? [];
        var schedule = ObjectMeta.Str(spec["schedule"]);
        if (string.IsNullOrEmpty(schedule))
            causes.Add(Causes.Required("spec.schedule"));
        else if (schedule.Contains("TZ", StringComparison.Ordinal))
            causes.Add(Causes.Invalid("spec.schedule", schedule, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"));
        else if (CronSchedule.Problem(schedule) is { } problem)
            causes.Add(Causes.Invalid("spec.schedule", schedule, problem));
        if (ObjectMeta.Str(spec["concurrencyPolicy"]) is { } policy && policy is not ("Allow" or "Forbid" or "Replace"))
            causes.Add(Causes.NotSupported("spec.concurrencyPolicy", policy, ["Allow", "Forbid", "Replace"]));
        foreach (var field in new[] { "startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit" })
            if (ObjectMeta.Integer(spec[field]) is < 0 and var n)
                causes.Add(Causes.Invalid($"spec.{field}", n.ToString()!, "must be greater than or equal to 0"));
        if (spec["jobTemplate"]?["spec"] is JsonObject jobSpec)
            JobStrategy.ValidateSpec(jobSpec, "spec.jobTemplate.spec", causes);
        else
            causes.Add(Causes.Required("spec.jobTemplate.spec.template"));
    }
}
