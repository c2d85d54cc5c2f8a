using System.Text.Json.Nodes;
using Kybernet.ApiServer.Registry;
using static Kybernet.ApiServer.Tests.Registry.StrategyAssert;

namespace Kybernet.ApiServer.Tests.Registry;

public sealed class PodStrategyTests
{
    private readonly PodStrategy _pods = new();

    private static JsonObject Pod(string containers = """[{"name":"web","image":"nginx:1.27","ports":[{"containerPort":80}]}]""") =>
        Obj("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web","namespace":"default"},"spec":{"containers":""" + containers + "}}");

    [Fact]
    public void Defaults_fill_only_what_the_client_left_out()
    {
        var pod = Pod("""[{"name":"a","image":"nginx:1.27","ports":[{"containerPort":80}]},{"name":"b","image":"busybox","imagePullPolicy":"Never"}]""");
        pod["spec"]!["dnsPolicy"] = "Default";
        _pods.Default(pod);
        var spec = pod["spec"]!;
        Assert.Equal("Always", Str(spec["restartPolicy"]));
        Assert.Equal("Default", Str(spec["dnsPolicy"]));
        Assert.Equal("default-scheduler", Str(spec["schedulerName"]));
        Assert.Equal("IfNotPresent", Str(spec["containers"]![0]!["imagePullPolicy"]));
        Assert.Equal("Never", Str(spec["containers"]![1]!["imagePullPolicy"]));
        Assert.Equal("TCP", Str(spec["containers"]![0]!["ports"]![0]!["protocol"]));
    }

    [Fact]
    public void A_new_pod_starts_pending_whatever_status_it_brings()
    {
        var pod = Pod();
        pod["status"] = Obj("""{"phase":"Running","podIP":"10.244.0.5"}""");
        _pods.PrepareForCreate(pod);
        Assert.Equal("""{"phase":"Pending","qosClass":"BestEffort"}""", pod["status"]!.ToJsonString());
    }

    [Fact]
    public void Validation_names_every_problem_with_its_field()
    {
        NoCauses(_pods.ValidateCreate(Pod()));
        HasCause(_pods.ValidateCreate(Pod("[]")), "FieldValueRequired", "spec.containers");
        var causes = _pods.ValidateCreate(Pod("""[{"name":"a","image":"x"},{"name":"a","ports":[{"containerPort":70000}]}]"""));
        HasCause(causes, "FieldValueDuplicate", "spec.containers[1].name");
        HasCause(causes, "FieldValueRequired", "spec.containers[1].image");
        HasCause(causes, "FieldValueInvalid", "spec.containers[1].ports[0].containerPort");
        var badName = Pod();
        badName["metadata"]!["name"] = "Web_1";
        HasCause(_pods.ValidateCreate(badName), "FieldValueInvalid", "metadata.name");
    }

    [Fact]
    public void The_main_resource_keeps_the_status_and_status_keeps_the_rest()
    {
        var current = Pod();
        current["status"] = Obj("""{"phase":"Running"}""");
        var next = Pod();
        next["status"] = Obj("""{"phase":"Failed"}""");
        _pods.PrepareForUpdate(next, current);
        Assert.Equal("Running", Str(next["status"]!["phase"]));

        var status = _pods.FindView("status")!;
        var written = Pod("""[{"name":"other","image":"x"}]""");
        written["metadata"]!["labels"] = new JsonObject { ["x"] = "y" };
        written["status"] = Obj("""{"phase":"Succeeded"}""");
        var stored = status.ApplyTo(current, written);
        Assert.Equal("Succeeded", Str(stored["status"]!["phase"]));
        Assert.Equal("web", Str(stored["spec"]!["containers"]![0]!["name"]));
        Assert.Null(stored["metadata"]!["labels"]);
    }

    [Fact]
    public void An_update_may_change_images_and_set_the_node_once_but_nothing_else_of_the_spec()
    {
        var current = Pod();
        var newImage = Pod("""[{"name":"web","image":"nginx:1.28","ports":[{"containerPort":80}]}]""");
        NoCauses(_pods.ValidateUpdate(newImage, current));

        var newPort = Pod("""[{"name":"web","image":"nginx:1.27","ports":[{"containerPort":81}]}]""");
        HasCause(_pods.ValidateUpdate(newPort, current), "FieldValueForbidden", "spec");

        var bound = Pod();
        bound["spec"]!["nodeName"] = "node-1";
        NoCauses(_pods.ValidateUpdate(bound, current));
        var moved = Pod();
        moved["spec"]!["nodeName"] = "node-2";
        HasCause(_pods.ValidateUpdate(moved, bound), "FieldValueForbidden", "spec");

        var tolerating = Pod();
        tolerating["spec"]!["tolerations"] = Obj("""{"t":[{"key":"a","operator":"Exists"}]}""")["t"]!.DeepClone();
        NoCauses(_pods.ValidateUpdate(tolerating, current));
        HasCause(_pods.ValidateUpdate(current, tolerating), "FieldValueForbidden", "spec.tolerations");
    }

    [Fact]
    public void A_pod_goes_at_once_when_no_finalizer_holds_it_and_has_status_binding_and_eviction()
    {
        Assert.False(_pods.MarksBeforeRemoval);
        Assert.True(_pods.CanRemove(Pod()));
        var held = Pod();
        held["metadata"]!["finalizers"] = new JsonArray("example.com/keep");
        Assert.False(_pods.CanRemove(held));
        Assert.Equal(["status", "binding", "eviction", "log", "exec", "attach", "portforward", "proxy"], _pods.Subresources.Select(s => s.Name));
    }

    [Fact]
    public void A_pod_runs_as_its_namespaces_default_service_account_unless_it_names_one()
    {
        var pod = Pod();
        _pods.Default(pod);
        Assert.Equal("default", Str(pod["spec"]!["serviceAccountName"]));
        Assert.Equal("default", Str(pod["spec"]!["serviceAccount"]));

        var named = Pod();
        named["spec"]!["serviceAccount"] = "builder";
        _pods.Default(named);
        Assert.Equal("builder", Str(named["spec"]!["serviceAccountName"]));
    }

    [Fact]
    public void Only_a_pod_bound_to_a_node_and_not_finished_is_deleted_gracefully()
    {
        var unbound = Pod();
        Assert.Equal(0, PodStrategy.GracePeriod(unbound, null));
        Assert.Equal(0, PodStrategy.GracePeriod(unbound, 60));

        var bound = Pod();
        bound["spec"]!["nodeName"] = "n1";
        Assert.Equal(30, PodStrategy.GracePeriod(bound, null));
        Assert.Equal(5, PodStrategy.GracePeriod(bound, 5));
        Assert.Equal(0, PodStrategy.GracePeriod(bound, 0));
        bound["spec"]!["terminationGracePeriodSeconds"] = 12;
        Assert.Equal(12, PodStrategy.GracePeriod(bound, null));

        bound["status"] = Obj("""{"phase":"Succeeded"}""");
        Assert.Equal(0, PodStrategy.GracePeriod(bound, null));
    }

    [Fact]
    public void A_pod_in_its_grace_period_is_not_removed_by_a_write_until_its_grace_is_zero()
    {
        var terminating = Pod();
        terminating["metadata"]!["deletionTimestamp"] = "2030-01-01T00:00:00Z";
        terminating["metadata"]!["deletionGracePeriodSeconds"] = 30;
        Assert.False(_pods.CanRemove(terminating));
        terminating["metadata"]!["deletionGracePeriodSeconds"] = 0;
        Assert.True(_pods.CanRemove(terminating));
    }
}
