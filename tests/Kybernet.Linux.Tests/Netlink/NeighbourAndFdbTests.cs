using System.Net;
using System.Net.NetworkInformation;
using Kybernet.Linux.Netlink;
using static Kybernet.Linux.Tests.Netlink.LinkTests;

namespace Kybernet.Linux.Tests.Netlink;

public sealed class NeighbourAndFdbTests : NetlinkTestBase
{
    private static readonly PhysicalAddress RemoteVtepMac = PhysicalAddress.Parse("0A-58-0A-F4-02-00");
    public NeighbourAndFdbTests()
    {
        Nl.Links.CreateVeth(new VethSpec("eth0", "peer0"));
        Nl.Links.CreateVxlan(new VxlanSpec("flannel.1", 1) { Local = IPAddress.Parse("192.168.50.2"), Parent = "eth0" });
        Nl.Links.SetUp("flannel.1");
    }

    [Fact]
    public void Permanent_neighbour_for_a_remote_vtep()
    {
        var neighbour = new Neighbour(IPAddress.Parse("10.244.2.0"), RemoteVtepMac, "flannel.1");
        Nl.Neighbours.Replace(neighbour);
        Nl.Neighbours.Replace(neighbour); // idempotent

        var listed = Assert.Single(Nl.Neighbours.List("flannel.1"));
        Assert.Equal(neighbour.Address, listed.Address);
        Assert.Equal(RemoteVtepMac, listed.Mac);
        Assert.True(listed.IsPermanent);
        var shown = Assert.Single(Json(Ns.Ip("-j", "neigh", "show", "dev", "flannel.1")));
        Assert.Equal("0a:58:0a:f4:02:00", shown.GetProperty("lladdr").GetString());
        Assert.Contains("PERMANENT", shown.GetProperty("state").EnumerateArray().Select(s => s.GetString()));

        Nl.Neighbours.Delete(neighbour);
        Assert.Empty(Nl.Neighbours.List("flannel.1"));
    }

    [Fact]
    public void Vxlan_fdb_entries_point_macs_at_remote_vteps()
    {
        var entry = new FdbEntry(RemoteVtepMac, "flannel.1") { Destination = IPAddress.Parse("192.168.50.3") };
        Nl.Fdb.Replace(entry);
        var flood = new FdbEntry(PhysicalAddress.Parse("00-00-00-00-00-00"), "flannel.1");
        Nl.Fdb.Append(flood with { Destination = IPAddress.Parse("192.168.50.3") });
        Nl.Fdb.Append(flood with { Destination = IPAddress.Parse("192.168.50.4") });

        var listed = Nl.Fdb.List("flannel.1");
        Assert.Contains(listed, e => e.Mac.Equals(RemoteVtepMac) && e.Destination!.Equals(IPAddress.Parse("192.168.50.3")) && e.Permanent);
        Assert.Equal(2, listed.Count(e => e.Mac.Equals(flood.Mac)));
        var shown = Json(Tool.Run("ip", "netns", "exec", Ns.Name, "bridge", "-j", "fdb", "show", "dev", "flannel.1"));
        Assert.Contains(shown, e => e.GetProperty("mac").GetString() == "0a:58:0a:f4:02:00" && e.GetProperty("dst").GetString() == "192.168.50.3");

        Nl.Fdb.Delete(entry);
        Assert.DoesNotContain(Nl.Fdb.List("flannel.1"), e => e.Mac.Equals(RemoteVtepMac));
    }

    [Fact]
    public void Bridge_fdb_entry_on_a_port()
    {
        Nl.Links.CreateBridge("br0");
        Nl.Links.SetMaster("eth0", "br0");
        var mac = PhysicalAddress.Parse("02-00-00-00-01-01");
        Nl.Fdb.Replace(new FdbEntry(mac, "eth0") { Self = false });

        Assert.Contains(Nl.Fdb.List("eth0"), e => e.Mac.Equals(mac) && !e.Self);
    }
}
