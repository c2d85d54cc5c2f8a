using System.Net.Sockets;
using Kybernet.Linux.Netlink;
using static Kybernet.Linux.Tests.Netlink.LinkTests;

namespace Kybernet.Linux.Tests.Netlink;

public sealed class AddressTests : NetlinkTestBase
{
    public AddressTests()
    {
        Nl.Links.CreateVeth(new VethSpec("va", "vb"));
    }

    [Fact]
    public void Add_list_and_delete_are_seen_by_iproute2()
    {
        var address = InterfaceAddress.Parse("10.244.1.1/24");
        Nl.Addresses.Add("va", address);

        var listed = Assert.Single(Nl.Addresses.List("va", AddressFamily.InterNetwork));
        Assert.Equal(address, listed.Address);
        Assert.Equal(Nl.Links.Get("va").Index, listed.LinkIndex);
        var shown = Json(Ns.Ip("-j", "-4", "addr", "show", "va"))[0].GetProperty("addr_info")[0];
        Assert.Equal("10.244.1.1", shown.GetProperty("local").GetString());
        Assert.Equal(24, shown.GetProperty("prefixlen").GetInt32());

        Nl.Addresses.Delete("va", address);
        Assert.Empty(Nl.Addresses.List("va", AddressFamily.InterNetwork));
        Assert.DoesNotContain("10.244.1.1", Ns.Ip("-4", "addr", "show", "va"));
    }

    [Fact]
    public void Add_twice_is_EEXIST_and_replace_is_idempotent()
    {
        var address = InterfaceAddress.Parse("10.244.1.1/24");
        Nl.Addresses.Add("va", address);

        var error = Assert.Throws<LinuxException>(() => Nl.Addresses.Add("va", address));
        Assert.Equal("EEXIST", error.ErrorName);
        Assert.Contains("add address 10.244.1.1/24 to va", error.Message);

        Nl.Addresses.Replace("va", address);
        Nl.Addresses.Replace("va", address);
        Assert.Single(Nl.Addresses.List("va", AddressFamily.InterNetwork));
    }

    [Fact]
    public void No_prefix_route_suppresses_the_subnet_route()
    {
        Nl.Links.SetUp("va");
        Nl.Links.SetUp("vb");
        Nl.Addresses.Add("va", InterfaceAddress.Parse("10.1.0.1/24"));
        Nl.Addresses.Add("vb", InterfaceAddress.Parse("10.2.0.1/24"), noPrefixRoute: true);

        var destinations = Nl.Routes.List().Select(r => r.Destination.ToString()).ToList();
        Assert.Contains("10.1.0.0/24", destinations);
        Assert.DoesNotContain("10.2.0.0/24", destinations);
    }

    [Fact]
    public void Ipv6_addresses_work_too()
    {
        Nl.Addresses.Add("va", InterfaceAddress.Parse("fd00::1/64"));
        Assert.Contains(Nl.Addresses.List("va", AddressFamily.InterNetworkV6), a => a.Address.ToString() == "fd00::1/64");
    }

    [Fact]
    public void InterfaceAddress_parses_and_rejects()
    {
        var a = InterfaceAddress.Parse("10.244.3.7/24");
        Assert.Equal("10.244.3.0/24", a.Network.ToString());
        Assert.Throws<FormatException>(() => InterfaceAddress.Parse("10.0.0.1"));
        Assert.Throws<FormatException>(() => InterfaceAddress.Parse("10.0.0.1/33"));
    }
}
