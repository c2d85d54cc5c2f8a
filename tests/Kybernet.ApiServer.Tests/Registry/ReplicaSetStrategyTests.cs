using Kybernet.ApiServer.Registry;
using static Kybernet.ApiServer.Tests.Registry.StrategyAssert;

namespace Kybernet.ApiServer.Tests.Registry;

public sealed class ReplicaSetStrategyTests
{
    private readonly ReplicaSetStrategy _replicaSets = new();

    [Fact]
    public void A_replica_set_has_a_fixed_apps_selector_no_rollout_defaults_and_status_and_scale()
    {
        var rs = DeploymentStrategyTests.Workload("ReplicaSet");
        _replicaSets.Default(rs);
        Assert.Equal(1, rs["spec"]!["replicas"]!.GetValue<int>());
        Assert.Null(rs["spec"]!["strategy"]);
        NoCauses(_replicaSets.ValidateCreate(rs));
        HasCause(_replicaSets.ValidateCreate(DeploymentStrategyTests.Workload("ReplicaSet", labels: """{"app":"db"}""")), "FieldValueInvalid", "spec.template.metadata.labels");
        var reselected = DeploymentStrategyTests.Workload("ReplicaSet", selector: """{"matchLabels":{"app":"db"}}""", labels: """{"app":"db"}""");
        HasCause(_replicaSets.ValidateUpdate(reselected, rs), "FieldValueInvalid", "spec.selector");
        Assert.Equal(["status", "scale"], _replicaSets.Subresources.Select(s => s.Name));
        Assert.Equal("app=web", Str(_replicaSets.FindView("scale")!.Show(rs)["status"]!["selector"]));
    }
}
