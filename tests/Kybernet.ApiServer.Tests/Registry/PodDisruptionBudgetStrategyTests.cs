using System.Text.Json.Nodes;
using Kybernet.ApiServer.Registry;
using Kybernet.ApiServer.Registry.Subresources;
using static Kybernet.ApiServer.Tests.Registry.StrategyAssert;

namespace Kybernet.ApiServer.Tests.Registry;

public sealed class PodDisruptionBudgetStrategyTests
{
    private readonly PodDisruptionBudgetStrategy _pdbs = new();

    private static JsonObject Pdb(string budget, string selector = """{"matchLabels":{"app":"web"}}""") =>
        Obj($$$"""{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"web","namespace":"default"},"spec":{"selector":{{{selector}}}{{{budget}}}}}""");

    private static JsonObject Pod(string name, bool ready, string app = "web", bool deleting = false) =>
        Obj($$$"""{"metadata":{"name":"{{{name}}}","namespace":"default","labels":{"app":"{{{app}}}"}{{{(deleting ? ""","deletionTimestamp":"2030-01-01T00:00:00Z" """ : "")}}}},"status":{"conditions":[{"type":"Ready","status":"{{{(ready ? "True" : "False")}}}"}]}}""");

    [Fact]
    public void Min_available_and_max_unavailable_are_exclusive_and_counts_or_percentages()
    {
        NoCauses(_pdbs.ValidateCreate(Pdb(""","minAvailable":2""")));
        NoCauses(_pdbs.ValidateCreate(Pdb(""","maxUnavailable":"50%" """)));
        HasCause(_pdbs.ValidateCreate(Pdb(""","minAvailable":1,"maxUnavailable":1""")), "FieldValueInvalid", "spec");
        HasCause(_pdbs.ValidateCreate(Pdb(""","minAvailable":-1""")), "FieldValueInvalid", "spec.minAvailable");
        HasCause(_pdbs.ValidateCreate(Pdb(""","maxUnavailable":"150%" """)), "FieldValueInvalid", "spec.maxUnavailable");
        HasCause(_pdbs.ValidateCreate(Pdb(""","maxUnavailable":"half" """)), "FieldValueInvalid", "spec.maxUnavailable");
    }

    [Fact]
    public void The_budget_counts_the_selected_pods_that_are_ready_and_not_being_deleted()
    {
        JsonObject[] pods = [Pod("a", true), Pod("b", true), Pod("c", false), Pod("d", true, deleting: true), Pod("x", true, app: "db")];
        var min2 = DisruptionBudget.Reckon(Pdb(""","minAvailable":2"""), pods);
        Assert.Equal(new DisruptionBudget(4, 2, 2), min2);
        Assert.Equal(0, min2.DisruptionsAllowed);
        var min1 = DisruptionBudget.Reckon(Pdb(""","minAvailable":1"""), pods);
        Assert.Equal(1, min1.DisruptionsAllowed);
        // Percentages round up: 50% of 4 expected may be unavailable, so 2 must stay healthy.
        Assert.Equal(new DisruptionBudget(4, 2, 2), DisruptionBudget.Reckon(Pdb(""","maxUnavailable":"50%" """), pods));
        Assert.Equal(3, DisruptionBudget.Reckon(Pdb(""","minAvailable":"51%" """), pods).DesiredHealthy);
        Assert.Equal(4, DisruptionBudget.Reckon(Pdb(""","maxUnavailable":0"""), pods).DesiredHealthy);
        // An empty selector covers every pod of the namespace; none covers none.
        Assert.Equal(5, DisruptionBudget.Reckon(Pdb(""","minAvailable":1""", selector: "{}"), pods).ExpectedPods);
        Assert.Equal(0, DisruptionBudget.Reckon(Pdb(""","minAvailable":1""", selector: "null"), pods).ExpectedPods);
    }

    [Fact]
    public void An_eviction_takes_a_healthy_pod_only_while_a_disruption_is_allowed_and_an_unhealthy_one_while_the_budget_is_met()
    {
        var pdb = Pdb(""","minAvailable":2""");
        Assert.False(EvictionSubresource.Allows(pdb, Pod("a", true), new DisruptionBudget(3, 2, 2)));
        Assert.True(EvictionSubresource.Allows(pdb, Pod("a", true), new DisruptionBudget(3, 3, 2)));
        Assert.True(EvictionSubresource.Allows(pdb, Pod("c", false), new DisruptionBudget(3, 2, 2)));
        Assert.False(EvictionSubresource.Allows(pdb, Pod("c", false), new DisruptionBudget(3, 1, 2)));
        pdb["spec"]!["unhealthyPodEvictionPolicy"] = "AlwaysAllow";
        Assert.True(EvictionSubresource.Allows(pdb, Pod("c", false), new DisruptionBudget(3, 1, 2)));
    }

    [Fact]
    public void The_reckoning_is_written_as_the_pdbs_status()
    {
        var pdb = Pdb(""","minAvailable":1""");
        pdb["metadata"]!["generation"] = 1;
        new DisruptionBudget(3, 2, 1).WriteStatus(pdb);
        Assert.Equal("""{"expectedPods":3,"currentHealthy":2,"desiredHealthy":1,"disruptionsAllowed":1,"observedGeneration":1}""", pdb["status"]!.ToJsonString());
    }
}
