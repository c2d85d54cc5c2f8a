using System.Net.Sockets;
using Kybernet.Linux.Netlink;
using static Kybernet.Linux.Tests.Netlink.LinkTests;

namespace Kybernet.Linux.Tests.Netlink;

public sealed class AddressTests : IDisposable
{
    private readonly TestNamespace _ns = new();
    private readonly RtNetlink _nl;

    public AddressTests()
    {
        _nl = RtNetlink.Open(_ns);
        _nl.Links.CreateVeth(new VethSpec("va", "vb"));
    }

    public void Dispose()
    {
        _nl.Dispose();
        _ns.Dispose();
    }

    [Fact]
    public void Add_list_and_delete_are_seen_by_iproute2()
    {
        var address = InterfaceAddress.Parse("10.244.1.1/24");
        _nl.Addresses.Add("va", address);

        var listed = Assert.Single(_nl.Addresses.List("va", AddressFamily.InterNetwork));
        Assert.Equal(address, listed.Address);
        Assert.Equal(_nl.Links.Get("va").Index, listed.LinkIndex);
        var shown = Json(_ns.Ip("-j", "-4", "addr", "show", "va"))[0].GetProperty("addr_info")[0];
        Assert.Equal("10.244.1.1", shown.GetProperty("local").GetString());
        Assert.Equal(24, shown.GetProperty("prefixlen").GetInt32());

        _nl.Addresses.Delete("va", address);
        Assert.Empty(_nl.Addresses.List("va", AddressFamily.InterNetwork));
        Assert.DoesNotContain("10.244.1.1", _ns.Ip("-4", "addr", "show", "va"));
    }

    [Fact]
    public void Add_twice_is_EEXIST_and_replace_is_idempotent()
    {
        var address = InterfaceAddress.Parse("10.244.1.1/24");
        _nl.Addresses.Add("va", address);

        var error = Assert.Throws<LinuxException>(() => _nl.Addresses.Add("va", address));
        Assert.Equal("EEXIST", error.ErrorName);
        Assert.Contains("add address 10.244.1.1/24 to va", error.Message);

        _nl.Addresses.Replace("va", address);
        _nl.Addresses.Replace("va", address);
        Assert.Single(_nl.Addresses.List("va", AddressFamily.InterNetwork));
    }

    [Fact]
    public void No_prefix_route_suppresses_the_subnet_route()
    {
        _nl.Links.SetUp("va");
        _nl.Links.SetUp("vb");
        _nl.Addresses.Add("va", InterfaceAddress.Parse("10.1.0.1/24"));
        _nl.Addresses.Add("vb", InterfaceAddress.Parse("10.2.0.1/24"), noPrefixRoute: true);

        var destinations = _nl.Routes.List().Select(r => r.Destination.ToString()).ToList();
        Assert.Contains("10.1.0.0/24", destinations);
        Assert.DoesNotContain("10.2.0.0/24", destinations);
    }

    [Fact]
    public void Ipv6_addresses_work_too()
    {
        _nl.Addresses.Add("va", InterfaceAddress.Parse("fd00::1/64"));
        Assert.Contains(_nl.Addresses.List("va", AddressFamily.InterNetworkV6), a => a.Address.ToString() == "fd00::1/64");
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
