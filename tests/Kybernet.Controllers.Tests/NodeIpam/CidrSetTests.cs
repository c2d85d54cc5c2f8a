using System.Net;
using Kybernet.Controllers.NodeIpam;

namespace Kybernet.Controllers.Tests.NodeIpam;

/// <summary>The allocation map alone (pure).</summary>
public sealed class CidrSetTests
{
    private static IPNetwork Net(string s) => IPNetwork.Parse(s);

    [Fact]
    public void Hands_out_the_lowest_free_cidr_and_takes_freed_ones_back()
    {
        var set = new CidrSet(Net("10.244.0.0/22"), 24);
        Assert.Equal(4, set.Count);
        Assert.Equal(Net("10.244.0.0/24"), set.AllocateLowestFree("a"));
        Assert.Equal(Net("10.244.1.0/24"), set.AllocateLowestFree("b"));
        Assert.Equal(Net("10.244.2.0/24"), set.AllocateLowestFree("c"));
        Assert.True(set.Release("b"));
        Assert.False(set.Release("b"));
        Assert.Equal(Net("10.244.1.0/24"), set.AllocateLowestFree("d"));
        Assert.Equal(Net("10.244.3.0/24"), set.AllocateLowestFree("e"));
        Assert.Null(set.AllocateLowestFree("f"));
        Assert.Equal(4, set.Used);
    }

    [Fact]
    public void Occupies_what_a_cidr_covers_and_names_who_already_holds_it()
    {
        var set = new CidrSet(Net("10.244.0.0/16"), 24);
        Assert.Empty(set.Occupy(Net("10.244.4.0/23"), "big")!);
        Assert.Equal([Net("10.244.4.0/24"), Net("10.244.5.0/24")], set.HeldBy("big"));
        Assert.Empty(set.Occupy(Net("10.244.7.128/25"), "small")!);
        Assert.Equal([Net("10.244.7.0/24")], set.HeldBy("small"));
        Assert.Equal(["big"], set.Occupy(Net("10.244.5.0/24"), "late")!);
        Assert.Null(set.Occupy(Net("10.96.0.0/24"), "outside"));
        Assert.Equal(Net("10.244.0.0/24"), set.AllocateLowestFree("x"));
    }

    [Theory]
    [InlineData("10.244.0.0/16", 8, "between 16 and 32")]
    [InlineData("10.0.0.0/8", 25, "more than 2^16")]
    [InlineData("fd00::/48", 64, "not IPv4")]
    public void Refuses_a_mask_that_does_not_fit(string cluster, int mask, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => new NodeIpamOptions { ClusterCidr = Net(cluster), NodeCidrMaskSize = mask }.Validate());
        Assert.Contains(message, e.Message);
    }
}
