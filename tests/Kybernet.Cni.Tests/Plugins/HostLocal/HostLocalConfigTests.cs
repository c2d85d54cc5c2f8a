using System.Net;
using System.Text.Json.Nodes;
using Kybernet.Cni.Plugins.HostLocal;
using Kybernet.Cni.Protocol;
using static Kybernet.Cni.Tests.Plugins.HostLocal.HostLocalHarness;

namespace Kybernet.Cni.Tests.Plugins.HostLocal;

/// <summary>Config parsing and validation: pure, in-process.</summary>
public sealed class HostLocalConfigTests
{
    private static HostLocalConfig Parse(JsonObject ipam, IReadOnlyDictionary<string, string>? args = null) =>
        HostLocalConfig.Parse(CniNetworkConfig.Parse(new JsonObject
        {
            ["cniVersion"] = "1.0.0",
            ["name"] = "kytnet",
            ["type"] = "kybernet-host-local",
            ["ipam"] = ipam,
        }.ToJsonString()), args);

    private static JsonObject Ranges(params JsonArray[] sets) =>
        new() { ["type"] = "host-local", ["ranges"] = new JsonArray(sets.Select(s => (JsonNode?)s).ToArray()) };

    private static CniException Invalid(JsonObject ipam)
    {
        var e = Assert.Throws<CniException>(() => Parse(ipam));
        Assert.Equal(CniErrorCode.InvalidConfig, e.Code);
        return e;
    }

    [Fact]
    public void Defaults_GatewayIsFirstAddress_RangeCoversUsableAddresses_FirstOfferIsDotTwo()
    {
        var config = Parse(Ranges(Set(Range("10.244.1.0/24"))));
        var range = Assert.Single(Assert.Single(config.RangeSets).Ranges);
        Assert.Equal(IPAddress.Parse("10.244.1.1"), range.Gateway);
        Assert.Equal("10.244.1.1-10.244.1.254", range.ToString());
        Assert.Equal(HostLocalConfig.DefaultDataDir, config.DataDir);
        var first = RoundRobinOrder.Candidates(config.RangeSets[0], null).First();
        Assert.Equal(IPAddress.Parse("10.244.1.2"), first.Address);
    }

    [Fact]
    public void Defaults_IPv6_EndIsLastAddress()
    {
        var range = Parse(Ranges(Set(Range("fd00:1::/120")))).RangeSets[0].Ranges[0];
        Assert.Equal("fd00:1::1-fd00:1::ff", range.ToString());
        Assert.Equal(IPAddress.Parse("fd00:1::1"), range.Gateway);
    }

    [Fact]
    public void RangeStartEndAndGateway_AreKept()
    {
        var range = Parse(Ranges(Set(Range("10.244.1.0/24", "10.244.1.100", "10.244.1.110", "10.244.1.254")))).RangeSets[0].Ranges[0];
        Assert.Equal("10.244.1.100-10.244.1.110", range.ToString());
        Assert.Equal(IPAddress.Parse("10.244.1.254"), range.Gateway);
    }

    [Fact]
    public void SeveralRangeSets_AreKeptInOrder()
    {
        var config = Parse(Ranges(Set(Range("10.244.1.0/24"), Range("10.244.2.0/24")), Set(Range("fd00::/64"))));
        Assert.Equal(2, config.RangeSets.Count);
        Assert.Equal(2, config.RangeSets[0].Ranges.Count);
        Assert.Equal("10.244.1.1-10.244.1.254,10.244.2.1-10.244.2.254", config.RangeSets[0].ToString());
    }

    [Fact]
    public void LegacyForm_BecomesRangeSetZero_AndRoutesAreRead()
    {
        var config = Parse(new JsonObject
        {
            ["type"] = "host-local",
            ["subnet"] = "10.9.0.0/16",
            ["rangeStart"] = "10.9.3.1",
            ["gateway"] = "10.9.0.254",
            ["routes"] = new JsonArray(new JsonObject { ["dst"] = "0.0.0.0/0" }, new JsonObject { ["dst"] = "10.0.0.0/8", ["gw"] = "10.9.0.254" }),
            ["ranges"] = new JsonArray(Set(Range("fd00::/64"))),
            ["dataDir"] = "/tmp/kyt-somewhere",
        });
        Assert.Equal("10.9.3.1-10.9.255.254", config.RangeSets[0].ToString());
        Assert.Equal(2, config.RangeSets.Count);
        Assert.Equal(2, config.Routes.Count);
        Assert.Equal(IPAddress.Parse("10.9.0.254"), config.Routes[1].Gateway);
        Assert.Equal("/tmp/kyt-somewhere/kytnet", config.NetworkDirectory);
    }

    [Fact]
    public void RequestedIp_IsReadFromCniArgs()
    {
        var config = Parse(Ranges(Set(Range("10.244.1.0/24"))), new Dictionary<string, string> { ["IP"] = "10.244.1.9" });
        Assert.Equal(IPAddress.Parse("10.244.1.9"), Assert.Single(config.RequestedIps));
    }

    [Theory]
    [InlineData("""{"type":"host-local"}""", "ipam.ranges")]
    [InlineData("""{"ranges":[[{"subnet":"10.244.1.0/24"},{"rangeStart":"10.244.2.1"}]]}""", "ipam.ranges[0][1].subnet")]
    [InlineData("""{"ranges":[[{"subnet":"10.244.1.0/24"},{"subnet":"banana"}]]}""", "ipam.ranges[0][1].subnet")]
    [InlineData("""{"ranges":[[{"subnet":"10.244.1.5/24"}]]}""", "ipam.ranges[0][0].subnet")]
    [InlineData("""{"ranges":[[{"subnet":"10.244.1.0/31"}]]}""", "ipam.ranges[0][0].subnet")]
    [InlineData("""{"ranges":[[{"subnet":"10.244.1.0/24","rangeStart":"10.244.2.1"}]]}""", "ipam.ranges[0][0].rangeStart")]
    [InlineData("""{"ranges":[[{"subnet":"10.244.1.0/24","rangeEnd":"10.244.1.300"}]]}""", "ipam.ranges[0][0].rangeEnd")]
    [InlineData("""{"ranges":[[{"subnet":"10.244.1.0/24","rangeStart":"10.244.1.50","rangeEnd":"10.244.1.10"}]]}""", "ipam.ranges[0][0].rangeEnd")]
    [InlineData("""{"ranges":[[{"subnet":"10.244.1.0/24","gateway":"fd00::1"}]]}""", "ipam.ranges[0][0].gateway")]
    [InlineData("""{"ranges":[[{"subnet":"10.244.1.0/24"},{"subnet":"fd00::/64"}]]}""", "ipam.ranges[0][1].subnet")]
    [InlineData("""{"ranges":[[]]}""", "ipam.ranges[0]")]
    [InlineData("""{"ranges":[{"subnet":"10.244.1.0/24"}]}""", "ipam.ranges[0]")]
    [InlineData("""{"ranges":"10.244.1.0/24"}""", "ipam.ranges")]
    [InlineData("""{"ranges":[[{"subnet":"10.244.1.0/24"}]],"routes":[{"dst":"nowhere"}]}""", "ipam.routes[0].dst")]
    [InlineData("""{"ranges":[[{"subnet":"10.244.1.0/24"}]],"dataDir":5}""", "ipam.dataDir")]
    public void InvalidConfig_IsCode7_NamingTheField(string ipam, string field)
    {
        var e = Invalid((JsonObject)JsonNode.Parse(ipam)!);
        Assert.Contains($"\"{field}\"", e.Message);
    }

    [Fact]
    public void OverlappingRangesInASet_AreRejected()
    {
        var e = Invalid(Ranges(Set(Range("10.244.1.0/24"), Range("10.244.0.0/16", "10.244.1.200", "10.244.2.10"))));
        Assert.Contains("\"ipam.ranges[0][1]\"", e.Message);
        Assert.Contains("overlaps", e.Message);
    }

    [Fact]
    public void OverlappingRangeSets_AreRejected()
    {
        var e = Invalid(Ranges(Set(Range("10.244.1.0/24")), Set(Range("10.244.0.0/16"))));
        Assert.Contains("\"ipam.ranges[1]\"", e.Message);
        Assert.Contains("overlaps ipam.ranges[0]", e.Message);
    }

    [Fact]
    public void DisjointRangesOfOneSubnet_AreAccepted()
    {
        var config = Parse(Ranges(Set(Range("10.244.1.0/24", end: "10.244.1.99"), Range("10.244.1.0/24", "10.244.1.100"))));
        Assert.Equal(2, config.RangeSets[0].Ranges.Count);
    }

    [Fact]
    public void RoundRobin_StartsAfterLastReserved_WrapsAcrossRanges_AndSkipsGateways()
    {
        var set = Parse(Ranges(Set(Range("10.1.0.0/30"), Range("10.2.0.0/30")))).RangeSets[0];
        var order = RoundRobinOrder.Candidates(set, IPAddress.Parse("10.1.0.2")).Select(c => c.Address.ToString()).ToList();
        Assert.Equal(["10.2.0.2", "10.1.0.2"], order);
        Assert.Equal(["10.1.0.2", "10.2.0.2"], RoundRobinOrder.Candidates(set, null).Select(c => c.Address.ToString()));
        Assert.Equal(["10.1.0.2", "10.2.0.2"], RoundRobinOrder.Candidates(set, IPAddress.Parse("192.168.0.1")).Select(c => c.Address.ToString()));
    }
}
