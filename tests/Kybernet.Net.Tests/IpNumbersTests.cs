using System.Net;
using System.Net.Sockets;

namespace Kybernet.Net.Tests;

public sealed class IpNumbersTests
{
    [Theory]
    [InlineData("10.244.1.0/24", "10.244.1.1", "10.244.1.255")]
    [InlineData("10.0.0.0/8", "10.0.0.1", "10.255.255.255")]
    [InlineData("0.0.0.0/0", "0.0.0.1", "255.255.255.255")]
    [InlineData("fd00::/120", "fd00::1", "fd00::ff")]
    [InlineData("fd00:1::/64", "fd00:1::1", "fd00:1::ffff:ffff:ffff:ffff")]
    [InlineData("::/0", "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")]
    public void First_host_and_last_address_of_either_family(string network, string first, string last)
    {
        var net = IPNetwork.Parse(network);
        Assert.Equal(IPAddress.Parse(first), IpNumbers.FirstHost(net));
        Assert.Equal(IPAddress.Parse(last), IpNumbers.Last(net));
    }

    [Theory]
    [InlineData("10.244.1.255", "10.244.2.0")]
    [InlineData("fd00::ffff", "fd00::1:0")]
    public void Next_and_previous_carry_across_bytes(string address, string next)
    {
        Assert.Equal(IPAddress.Parse(next), IpNumbers.Next(IPAddress.Parse(address)));
        Assert.Equal(IPAddress.Parse(address), IpNumbers.Previous(IPAddress.Parse(next)));
    }

    [Fact]
    public void Numbers_order_addresses_and_round_trip_in_their_family()
    {
        Assert.True(IpNumbers.Compare(IPAddress.Parse("10.0.0.9"), IPAddress.Parse("10.0.0.10")) < 0);
        Assert.True(IpNumbers.Compare(IPAddress.Parse("fd00::a"), IPAddress.Parse("fd00::9")) > 0);
        Assert.Equal((UInt128)0x0AF40102, IpNumbers.ToNumber(IPAddress.Parse("10.244.1.2")));
        Assert.Equal(IPAddress.Parse("10.244.1.2"), IpNumbers.FromNumber(0x0AF40102, AddressFamily.InterNetwork));
        var v6 = IPAddress.Parse("fd00:1:2:3::4");
        Assert.Equal(v6, IpNumbers.FromNumber(IpNumbers.ToNumber(v6), AddressFamily.InterNetworkV6));
    }

    [Fact]
    public void Mapped_ipv4_addresses_read_as_ipv4()
    {
        Assert.Equal(IPAddress.Parse("10.0.0.1"), IpNumbers.Canonical(IPAddress.Parse("::ffff:10.0.0.1")));
        Assert.Equal(IPAddress.Parse("fd00::1"), IpNumbers.Canonical(IPAddress.Parse("fd00::1")));
        Assert.Equal("IPv6", IpNumbers.FamilyName(AddressFamily.InterNetworkV6));
    }
}
