using System.Text.Json.Nodes;
using Kybernet.ApiServer.Registry;
using static Kybernet.ApiServer.Tests.Registry.StrategyAssert;

namespace Kybernet.ApiServer.Tests.Registry;

public sealed class JobStrategyTests
{
    private readonly JobStrategy _jobs = new();

    private static JsonObject Job(string extra = "", string restart = "Never") =>
        Obj($$$"""{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"pi","namespace":"default","uid":"u-1"},"spec":{"template":{"spec":{"restartPolicy":"{{{restart}}}","containers":[{"name":"pi","image":"perl"}]}}{{{extra}}}}}""");

    private JsonObject Created(JsonObject job)
    {
        _jobs.PrepareForCreate(job);
        _jobs.Default(job);
        return job;
    }

    [Fact]
    public void Defaults_are_upstreams_one_pod_to_completion_six_retries_nonindexed_not_suspended()
    {
        var spec = Created(Job())["spec"]!;
        Assert.Equal(1, spec["parallelism"]!.GetValue<int>());
        Assert.Equal(1, spec["completions"]!.GetValue<int>());
        Assert.Equal(6, spec["backoffLimit"]!.GetValue<int>());
        Assert.Equal("NonIndexed", Str(spec["completionMode"]));
        Assert.False(spec["suspend"]!.GetValue<bool>());
        Assert.Equal("TerminatingOrFailed", Str(spec["podReplacementPolicy"]));

        // parallelism alone: completions stays unset (a work queue), as upstream.
        var queue = Created(Job(""","parallelism":3"""))["spec"]!;
        Assert.Equal(3, ObjectMeta(queue["parallelism"]));
        Assert.Null(queue["completions"]);
    }

    private static long ObjectMeta(JsonNode? n) => Kybernet.ApiServer.Admission.ObjectMeta.Integer(n)!.Value;

    [Fact]
    public void The_selector_is_generated_from_the_uid_and_the_template_is_labelled_in_both_forms()
    {
        var job = Created(Job());
        Assert.Equal("u-1", Str(job["spec"]!["selector"]!["matchLabels"]![JobStrategy.ControllerUidLabel]));
        var labels = job["spec"]!["template"]!["metadata"]!["labels"]!;
        Assert.Equal("u-1", Str(labels["batch.kubernetes.io/controller-uid"]));
        Assert.Equal("pi", Str(labels["batch.kubernetes.io/job-name"]));
        Assert.Equal("u-1", Str(labels["controller-uid"]));
        Assert.Equal("pi", Str(labels["job-name"]));
        Assert.Equal(labels.ToJsonString(), job["metadata"]!["labels"]!.ToJsonString()); // a job without labels takes its template's
        NoCauses(_jobs.ValidateCreate(job));

        // A selector of the client's own is refused unless it says manualSelector.
        var own = Created(Job(""","selector":{"matchLabels":{"app":"pi"}}"""));
        own["spec"]!["template"]!["metadata"] = Obj("""{"labels":{"app":"pi"}}""");
        HasCause(_jobs.ValidateCreate(own), "FieldValueInvalid", "spec.selector");
        var manual = Created(Job(""","manualSelector":true,"selector":{"matchLabels":{"app":"pi"}}"""));
        manual["spec"]!["template"]!["metadata"] = Obj("""{"labels":{"app":"pi"}}""");
        NoCauses(_jobs.ValidateCreate(manual));
        Assert.Null(manual["spec"]!["template"]!["metadata"]!["labels"]!["job-name"]);
    }

    [Fact]
    public void Pods_of_a_job_restart_on_failure_or_never_and_counts_are_not_negative()
    {
        HasCause(_jobs.ValidateCreate(Created(Job(restart: "Always"))), "FieldValueNotSupported", "spec.template.spec.restartPolicy");
        NoCauses(_jobs.ValidateCreate(Created(Job(restart: "OnFailure"))));
        HasCause(_jobs.ValidateCreate(Created(Job(""","backoffLimit":-1"""))), "FieldValueInvalid", "spec.backoffLimit");
        HasCause(_jobs.ValidateCreate(Created(Job(""","completionMode":"Sometimes" """))), "FieldValueNotSupported", "spec.completionMode");
    }

    [Fact]
    public void The_template_and_selector_are_fixed_once_created()
    {
        var current = Created(Job());
        var next = (JsonObject)current.DeepClone();
        next["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] = "perl:2";
        HasCause(_jobs.ValidateUpdate(next, current), "FieldValueInvalid", "spec.template");
        var suspended = (JsonObject)current.DeepClone();
        suspended["spec"]!["suspend"] = true;
        NoCauses(_jobs.ValidateUpdate(suspended, current));
    }
}
