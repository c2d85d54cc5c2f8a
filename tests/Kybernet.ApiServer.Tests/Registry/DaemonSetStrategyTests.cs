using Kybernet.ApiServer.Registry;
using static Kybernet.ApiServer.Tests.Registry.StrategyAssert;

namespace Kybernet.ApiServer.Tests.Registry;

public sealed class DaemonSetStrategyTests
{
    private readonly DaemonSetStrategy _daemonSets = new();

    [Fact]
    public void Defaults_are_a_rolling_update_of_one_node_at_a_time_without_surge_and_ten_revisions()
    {
        var ds = DeploymentStrategyTests.Workload("DaemonSet");
        _daemonSets.Default(ds);
        var spec = ds["spec"]!;
        Assert.Equal("RollingUpdate", Str(spec["updateStrategy"]!["type"]));
        Assert.Equal(1, spec["updateStrategy"]!["rollingUpdate"]!["maxUnavailable"]!.GetValue<int>());
        Assert.Equal(0, spec["updateStrategy"]!["rollingUpdate"]!["maxSurge"]!.GetValue<int>());
        Assert.Equal(10, spec["revisionHistoryLimit"]!.GetValue<int>());
        Assert.Null(spec["replicas"]);
        Assert.Equal(["status"], _daemonSets.Subresources.Select(s => s.Name));
        NoCauses(_daemonSets.ValidateCreate(ds));
    }

    [Fact]
    public void The_selector_must_select_the_template_whose_pods_always_restart()
    {
        var ds = DeploymentStrategyTests.Workload("DaemonSet", labels: """{"app":"other"}""");
        _daemonSets.Default(ds);
        HasCause(_daemonSets.ValidateCreate(ds), "FieldValueInvalid", "spec.template.metadata.labels");
        var never = DeploymentStrategyTests.Workload("DaemonSet");
        never["spec"]!["template"]!["spec"]!["restartPolicy"] = "Never";
        _daemonSets.Default(never);
        HasCause(_daemonSets.ValidateCreate(never), "FieldValueNotSupported", "spec.template.spec.restartPolicy");
        var both0 = DeploymentStrategyTests.Workload("DaemonSet", extra: ""","updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":0,"maxSurge":0}}""");
        _daemonSets.Default(both0);
        HasCause(_daemonSets.ValidateCreate(both0), "FieldValueInvalid", "spec.updateStrategy.rollingUpdate.maxUnavailable");
    }
}
