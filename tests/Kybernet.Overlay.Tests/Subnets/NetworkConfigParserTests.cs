using System.Net;
using Kybernet.Overlay.Subnets;

namespace Kybernet.Overlay.Tests.Subnets;

public sealed class NetworkConfigParserTests
{
    [Fact]
    public void Parses_flannels_documented_keys()
    {
        var config = NetworkConfigParser.Parse("""
            {"Network":"10.0.0.0/8","SubnetLen":20,"SubnetMin":"10.10.0.0","SubnetMax":"10.99.0.0",
             "Backend":{"Type":"vxlan","VNI":1,"Port":8472}}
            """);
        Assert.Equal(IPNetwork.Parse("10.0.0.0/8"), config.Network);
        Assert.Equal(20, config.SubnetLen);
        Assert.Equal(IPAddress.Parse("10.10.0.0"), config.SubnetMin);
        Assert.Equal(IPAddress.Parse("10.99.0.0"), config.SubnetMax);
        Assert.Equal("vxlan", config.BackendType);
        Assert.Equal(1, (int)config.Backend["VNI"]!);
        Assert.Equal(8472, (int)config.Backend["Port"]!);
    }

    [Fact]
    public void Defaults_a_16_to_24s_from_the_second_subnet_to_the_last_and_the_udp_backend()
    {
        var config = NetworkConfigParser.Parse("""{"Network":"10.244.0.0/16"}""");
        Assert.Equal(24, config.SubnetLen);
        Assert.Equal(IPAddress.Parse("10.244.1.0"), config.SubnetMin);
        Assert.Equal(IPAddress.Parse("10.244.255.0"), config.SubnetMax);
        Assert.Equal("udp", config.BackendType);
        Assert.Equal(255, SubnetRange.Count(config));
        Assert.Equal(IPNetwork.Parse("10.244.1.0/24"), SubnetRange.Subnets(config).First());
    }

    [Theory]
    [InlineData("10.244.0.0/22", 24, "10.244.1.0", "10.244.3.0")]
    [InlineData("10.244.0.0/23", 25, "10.244.0.128", "10.244.1.128")]
    [InlineData("10.244.0.0/28", 30, "10.244.0.4", "10.244.0.12")]
    [InlineData("10.244.7.9/16", 24, "10.244.1.0", "10.244.255.0")] // host bits are masked off, as Go's ParseCIDR does
    public void Default_subnet_length_is_24_for_a_22_or_larger_else_four_subnets(string network, int subnetLen, string min, string max)
    {
        var config = NetworkConfigParser.Parse($$"""{"network":"{{network}}"}""");
        Assert.Equal(subnetLen, config.SubnetLen);
        Assert.Equal(IPAddress.Parse(min), config.SubnetMin);
        Assert.Equal(IPAddress.Parse(max), config.SubnetMax);
    }

    [Theory]
    [InlineData("not json", "")]
    [InlineData("[1]", "")]
    [InlineData("{}", "Network")]
    [InlineData("""{"Network":"10.244.0.0"}""", "Network")]
    [InlineData("""{"Network":"10.244.0.0/33"}""", "Network")]
    [InlineData("""{"Network":"fd00::/64"}""", "Network")]
    [InlineData("""{"Network":16}""", "Network")]
    [InlineData("""{"Network":"10.244.0.0/29"}""", "Network")]
    [InlineData("""{"Network":"10.244.0.0/16","SubnetLen":31}""", "SubnetLen")]
    [InlineData("""{"Network":"10.244.0.0/16","SubnetLen":17}""", "SubnetLen")]
    [InlineData("""{"Network":"10.244.0.0/16","SubnetLen":"24"}""", "SubnetLen")]
    [InlineData("""{"Network":"10.244.0.0/16","SubnetMin":"10.245.1.0"}""", "SubnetMin")]
    [InlineData("""{"Network":"10.244.0.0/16","SubnetMin":"10.244.1.7"}""", "SubnetMin")]
    [InlineData("""{"Network":"10.244.0.0/16","SubnetMin":"banana"}""", "SubnetMin")]
    [InlineData("""{"Network":"10.244.0.0/16","SubnetMax":"10.243.255.0"}""", "SubnetMax")]
    [InlineData("""{"Network":"10.244.0.0/16","SubnetMin":"10.244.9.0","SubnetMax":"10.244.3.0"}""", "SubnetMin")]
    [InlineData("""{"Network":"10.244.0.0/16","Backend":"vxlan"}""", "Backend")]
    [InlineData("""{"Network":"10.244.0.0/16","Backend":{"VNI":1}}""", "Backend.Type")]
    [InlineData("""{"Network":"10.244.0.0/16","Backend":{"Type":7}}""", "Backend.Type")]
    [InlineData("""{"Network":"10.244.0.0/16","EnableIPv6":true,"IPv6Network":"fd00::/56"}""", "EnableIPv6")]
    [InlineData("""{"Network":"10.244.0.0/16","EnableIPv4":false}""", "EnableIPv4")]
    public void Errors_name_the_field(string json, string field)
    {
        var error = Assert.Throws<NetworkConfigException>(() => NetworkConfigParser.Parse(json));
        Assert.Equal(field, error.Field);
        Assert.StartsWith(field.Length == 0 ? "network config: " : $"network config: {field}: ", error.Message);
    }

    [Fact]
    public void Unknown_keys_are_ignored_like_flannel()
    {
        var config = NetworkConfigParser.Parse("""{"Network":"10.244.0.0/16","EnableNFTables":false,"Whatever":[1],"Backend":{"Type":"host-gw"}}""");
        Assert.Equal("host-gw", config.BackendType);
    }
}
