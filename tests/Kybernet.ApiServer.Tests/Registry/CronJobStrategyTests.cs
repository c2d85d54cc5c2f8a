using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Registry;
using static Kybernet.ApiServer.Tests.Registry.StrategyAssert;

namespace Kybernet.ApiServer.Tests.Registry;

public sealed class CronJobStrategyTests
{
    private readonly CronJobStrategy _cronJobs = new();

    private static JsonObject CronJob(string schedule) =>
        Obj("""{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"tick","namespace":"default"},"spec":{"schedule":""" + System.Text.Json.JsonSerializer.Serialize(schedule)
            + ""","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"OnFailure","containers":[{"name":"c","image":"busybox"}]}}}}}}""");

    [Fact]
    public void Defaults_are_upstreams_and_reach_the_job_template()
    {
        var cj = CronJob("*/5 * * * *");
        _cronJobs.Default(cj);
        var spec = cj["spec"]!;
        Assert.Equal("Allow", Str(spec["concurrencyPolicy"]));
        Assert.False(spec["suspend"]!.GetValue<bool>());
        Assert.Equal(3, spec["successfulJobsHistoryLimit"]!.GetValue<int>());
        Assert.Equal(1, spec["failedJobsHistoryLimit"]!.GetValue<int>());
        Assert.Equal(6, spec["jobTemplate"]!["spec"]!["backoffLimit"]!.GetValue<int>());
        NoCauses(_cronJobs.ValidateCreate(cj));
    }

    [Theory]
    [InlineData("*/5 * * * *")]
    [InlineData("0 3 * * MON-FRI")]
    [InlineData("15,45 0-6/2 1 JAN,jul ?")]
    [InlineData("@hourly")]
    [InlineData("@every 1h")]
    public void Cron_schedules_upstream_accepts_are_valid(string schedule) => Assert.Null(CronSchedule.Problem(schedule));

    [Theory]
    [InlineData("bad", "expected exactly 5 fields, found 1: [bad]")]
    [InlineData("60 * * * *", "end of range (60) above maximum (59): 60")]
    [InlineData("* * 0 * *", "beginning of range (0) below minimum (1): 0")]
    [InlineData("* * * * 5-2", "beginning of range (5) beyond end of range (2): 5-2")]
    [InlineData("*/0 * * * *", "failed to parse int from 0: invalid step in minute \"*/0\"")]
    [InlineData("@fortnightly", "unrecognized descriptor: @fortnightly")]
    public void Other_schedules_are_refused_with_what_is_wrong(string schedule, string problem) => Assert.Equal(problem, CronSchedule.Problem(schedule));

    [Fact]
    public void A_bad_schedule_a_time_zone_in_it_or_a_job_that_restarts_always_is_invalid()
    {
        HasCause(_cronJobs.ValidateCreate(CronJob("every minute")), "FieldValueInvalid", "spec.schedule");
        HasCause(_cronJobs.ValidateCreate(CronJob("TZ=UTC 0 * * * *")), "FieldValueInvalid", "spec.schedule");
        HasCause(_cronJobs.ValidateCreate(CronJob("")), "FieldValueRequired", "spec.schedule");
        var always = CronJob("* * * * *");
        always["spec"]!["jobTemplate"]!["spec"]!["template"]!["spec"]!["restartPolicy"] = "Always";
        HasCause(_cronJobs.ValidateCreate(always), "FieldValueNotSupported", "spec.jobTemplate.spec.template.spec.restartPolicy");
        var policy = CronJob("* * * * *");
        policy["spec"]!["concurrencyPolicy"] = "Sometimes";
        HasCause(_cronJobs.ValidateCreate(policy), "FieldValueNotSupported", "spec.concurrencyPolicy");
    }
}
