using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using static Kybernet.ApiServer.Tests.Registry.StrategyAssert;

namespace Kybernet.ApiServer.Tests.Registry;

public sealed class DefaultTolerationSecondsTests
{
    private static string Apply(string tolerations)
    {
        var spec = Obj("""{"containers":[{"name":"a","image":"x"}]""" + (tolerations.Length > 0 ? $",\"tolerations\":{tolerations}" : "") + "}");
        DefaultTolerationSeconds.Apply(spec);
        return spec["tolerations"]!.ToJsonString();
    }

    [Fact]
    public void A_pod_gets_300_s_of_not_ready_and_unreachable()
    {
        Assert.Equal("""[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}]""", Apply(""));
    }

    [Fact]
    public void Its_own_tolerations_of_those_taints_stay_and_are_not_doubled()
    {
        Assert.Equal("""[{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":2},{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}]""",
            Apply("""[{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":2}]"""));
        Assert.Equal("""[{"operator":"Exists"}]""", Apply("""[{"operator":"Exists"}]"""));
        // Only NoSchedule: the NoExecute one still comes.
        Assert.Equal(3, JsonNode.Parse(Apply("""[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoSchedule"}]"""))!.AsArray().Count);
    }
}
