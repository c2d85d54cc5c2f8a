using System.Net;
using Kybernet.Linux.Netlink;
using static Kybernet.Linux.Tests.Netlink.LinkTests;

namespace Kybernet.Linux.Tests.Netlink;

public sealed class RouteTests : NetlinkTestBase
{
    public RouteTests()
    {
        Nl.Links.CreateVeth(new VethSpec("va", "vb"));
        Nl.Links.SetUp("va");
        Nl.Links.SetUp("vb");
        Nl.Addresses.Add("va", InterfaceAddress.Parse("192.168.7.2/24"));
    }

    [Fact]
    public void Default_route_via_a_gateway()
    {
        Nl.Routes.Add(Route.Default(IPAddress.Parse("192.168.7.1")));

        var route = Assert.Single(Nl.Routes.List(), r => r.Destination.PrefixLength == 0);
        Assert.Equal(IPAddress.Parse("192.168.7.1"), route.Gateway);
        Assert.Equal("va", route.Device);
        var shown = Assert.Single(Json(Ns.Ip("-j", "route", "show", "default")));
        Assert.Equal("192.168.7.1", shown.GetProperty("gateway").GetString());
        Assert.Equal("va", shown.GetProperty("dev").GetString());
    }

    [Fact]
    public void Onlink_route_to_a_gateway_outside_every_subnet_as_flannel_vxlan_does()
    {
        var route = new Route(IPNetwork.Parse("10.244.2.0/24")) { Gateway = IPAddress.Parse("10.244.2.0"), Device = "vb", OnLink = true };
        Assert.Throws<LinuxException>(() => Nl.Routes.Add(route with { OnLink = false }));

        Nl.Routes.Add(route);

        var listed = Assert.Single(Nl.Routes.List(), r => r.Destination.ToString() == "10.244.2.0/24");
        Assert.True(listed.OnLink);
        Assert.Equal("vb", listed.Device);
        var shown = Assert.Single(Json(Ns.Ip("-j", "route", "show", "10.244.2.0/24")));
        Assert.Contains("onlink", shown.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
    }

    [Fact]
    public void Device_route_gets_link_scope_like_iproute2()
    {
        Nl.Routes.Add(new Route(IPNetwork.Parse("10.9.0.0/16")) { Device = "vb" });

        var listed = Assert.Single(Nl.Routes.List(), r => r.Destination.ToString() == "10.9.0.0/16");
        Assert.Equal(RouteScope.Link, listed.Scope);
        Assert.Equal("link", Assert.Single(Json(Ns.Ip("-j", "route", "show", "10.9.0.0/16"))).GetProperty("scope").GetString());
    }

    [Fact]
    public void Other_tables_metric_and_blackhole()
    {
        Nl.Routes.Add(new Route(IPNetwork.Parse("10.10.0.0/16")) { Gateway = IPAddress.Parse("192.168.7.9"), Table = 100, Metric = 42 });
        Nl.Routes.Add(new Route(IPNetwork.Parse("10.11.0.0/16")) { Type = RouteType.Blackhole });

        var inTable = Assert.Single(Nl.Routes.List(table: 100));
        Assert.Equal(42u, inTable.Metric);
        Assert.DoesNotContain(Nl.Routes.List(), r => r.Destination.ToString() == "10.10.0.0/16");
        Assert.Single(Json(Ns.Ip("-j", "route", "show", "table", "100")));
        Assert.Equal(RouteType.Blackhole, Assert.Single(Nl.Routes.List(), r => r.Destination.ToString() == "10.11.0.0/16").Type);
        Assert.Equal("blackhole", Assert.Single(Json(Ns.Ip("-j", "route", "show", "10.11.0.0/16"))).GetProperty("type").GetString());
    }

    [Fact]
    public void Replace_overwrites_and_delete_removes()
    {
        var destination = IPNetwork.Parse("10.244.5.0/24");
        Nl.Routes.Add(new Route(destination) { Gateway = IPAddress.Parse("192.168.7.5") });
        Assert.Equal("EEXIST", Assert.Throws<LinuxException>(() => Nl.Routes.Add(new Route(destination) { Gateway = IPAddress.Parse("192.168.7.6") })).ErrorName);

        Nl.Routes.Replace(new Route(destination) { Gateway = IPAddress.Parse("192.168.7.6") });
        Nl.Routes.Replace(new Route(destination) { Gateway = IPAddress.Parse("192.168.7.6") });
        Assert.Equal(IPAddress.Parse("192.168.7.6"), Assert.Single(Nl.Routes.List(), r => r.Destination == destination).Gateway);

        Nl.Routes.Delete(new Route(destination));
        Assert.DoesNotContain(Nl.Routes.List(), r => r.Destination == destination);
        Assert.Equal("ESRCH", Assert.Throws<LinuxException>(() => Nl.Routes.Delete(new Route(destination))).ErrorName);
    }

    [Fact]
    public void List_matches_iproute2()
    {
        Nl.Routes.Add(Route.Default(IPAddress.Parse("192.168.7.1")));
        Nl.Routes.Add(new Route(IPNetwork.Parse("10.244.2.0/24")) { Gateway = IPAddress.Parse("10.244.2.0"), Device = "vb", OnLink = true });

        var ours = Nl.Routes.List().Select(r => (r.Destination.PrefixLength == 0 ? "default" : r.Destination.ToString(), r.Device)).Order().ToList();
        var theirs = Json(Ns.Ip("-j", "route", "show"))
            .Select(r => (Normalize(r.GetProperty("dst").GetString()!), r.GetProperty("dev").GetString())).Order().ToList();
        Assert.Equal(theirs, ours);
    }

    // iproute2 prints host routes without "/32".
    private static string Normalize(string dst) => dst == "default" || dst.Contains('/') ? dst : dst + "/32";
}
