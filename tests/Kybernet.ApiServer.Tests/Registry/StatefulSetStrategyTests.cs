using System.Text.Json.Nodes;
using Kybernet.ApiServer.Registry;
using static Kybernet.ApiServer.Tests.Registry.StrategyAssert;

namespace Kybernet.ApiServer.Tests.Registry;

public sealed class StatefulSetStrategyTests
{
    private readonly StatefulSetStrategy _statefulSets = new();

    private JsonObject Created(string extra = "")
    {
        var sts = DeploymentStrategyTests.Workload("StatefulSet", extra: ""","serviceName":"web" """ + extra);
        _statefulSets.Default(sts);
        return sts;
    }

    [Fact]
    public void Defaults_are_upstreams()
    {
        var spec = Created()["spec"]!;
        Assert.Equal(1, spec["replicas"]!.GetValue<int>());
        Assert.Equal("OrderedReady", Str(spec["podManagementPolicy"]));
        Assert.Equal("RollingUpdate", Str(spec["updateStrategy"]!["type"]));
        Assert.Equal(0, spec["updateStrategy"]!["rollingUpdate"]!["partition"]!.GetValue<int>());
        Assert.Equal(10, spec["revisionHistoryLimit"]!.GetValue<int>());
        Assert.Equal("Retain", Str(spec["persistentVolumeClaimRetentionPolicy"]!["whenDeleted"]));
        Assert.Equal("Retain", Str(spec["persistentVolumeClaimRetentionPolicy"]!["whenScaled"]));
        Assert.Equal(["status", "scale"], _statefulSets.Subresources.Select(s => s.Name));
        NoCauses(_statefulSets.ValidateCreate(Created()));
    }

    [Fact]
    public void Only_replicas_template_update_strategy_retention_and_min_ready_may_change()
    {
        var current = Created();
        var scaled = Created(""","replicas":3""");
        NoCauses(_statefulSets.ValidateUpdate(scaled, current));
        var renamed = Created();
        renamed["spec"]!["serviceName"] = "other";
        HasCause(_statefulSets.ValidateUpdate(renamed, current), "FieldValueForbidden", "spec");
        var parallel = Created(""","podManagementPolicy":"Sometimes" """);
        HasCause(_statefulSets.ValidateCreate(parallel), "FieldValueNotSupported", "spec.podManagementPolicy");
    }
}
