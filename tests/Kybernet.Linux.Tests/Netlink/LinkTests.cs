using System.Net;
using System.Net.NetworkInformation;
using System.Text.Json;
using Kybernet.Linux.Netlink;

namespace Kybernet.Linux.Tests.Netlink;

public sealed class LinkTests : NetlinkTestBase
{
    [Fact]
    public void Veth_peer_is_born_in_the_target_namespace()
    {
        using var pod = new TestNamespace();
        var host = Nl.Links.CreateVeth(new VethSpec("veth0", "eth0") { PeerNamespace = pod, Mtu = 1450 });

        Assert.Equal("veth", host.Kind);
        Assert.Equal(1450, host.Mtu);
        Assert.Null(Nl.Links.Find("eth0"));
        using var podNl = RtNetlink.Open(pod);
        var peer = podNl.Links.Get("eth0");
        Assert.Equal("veth", peer.Kind);
        Assert.Equal(1450, peer.Mtu);
        Assert.Equal(host.Index, peer.ParentIndex);

        var shown = Json(pod.Ip("-j", "-d", "link", "show", "eth0"))[0];
        Assert.Equal("veth", shown.GetProperty("linkinfo").GetProperty("info_kind").GetString());
        Assert.Equal(1450, shown.GetProperty("mtu").GetInt32());
    }

    [Fact]
    public void Veth_in_the_same_namespace_with_chosen_macs()
    {
        var mac = PhysicalAddress.Parse("02-00-00-00-00-0A");
        var peerMac = PhysicalAddress.Parse("02-00-00-00-00-0B");
        Nl.Links.CreateVeth(new VethSpec("va", "vb") { Mac = mac, PeerMac = peerMac });

        Assert.Equal(mac, Nl.Links.Get("va").Mac);
        Assert.Equal(peerMac, Nl.Links.Get("vb").Mac);
        Assert.Equal("02:00:00:00:00:0b", Json(Ns.Ip("-j", "link", "show", "vb"))[0].GetProperty("address").GetString());
    }

    [Fact]
    public void Up_down_mtu_and_mac_changes_are_read_back()
    {
        Nl.Links.CreateVeth(new VethSpec("va", "vb"));
        Nl.Links.SetUp("va");
        Nl.Links.SetUp("vb");
        Assert.True(Nl.Links.Get("va").IsUp);
        Assert.Contains("UP", Json(Ns.Ip("-j", "link", "show", "va"))[0].GetProperty("flags").EnumerateArray().Select(f => f.GetString()));

        Nl.Links.SetDown("va");
        Assert.False(Nl.Links.Get("va").IsUp);

        Nl.Links.SetMtu("va", 1400);
        Assert.Equal(1400, Nl.Links.Get("va").Mtu);

        var mac = PhysicalAddress.Parse("02-AA-BB-CC-DD-EE");
        Nl.Links.SetMac("va", mac);
        Assert.Equal(mac, Nl.Links.Get("va").Mac);
        Assert.Equal(1400, Json(Ns.Ip("-j", "link", "show", "va"))[0].GetProperty("mtu").GetInt32());
    }

    [Fact]
    public void Bridge_ports_attach_and_detach()
    {
        var bridge = Nl.Links.CreateBridge("br0", mtu: 1450);
        Nl.Links.CreateVeth(new VethSpec("va", "vb"));
        Assert.Equal("bridge", bridge.Kind);

        Nl.Links.SetMaster("va", "br0");
        Assert.Equal(bridge.Index, Nl.Links.Get("va").MasterIndex);
        Assert.Equal("br0", Json(Ns.Ip("-j", "link", "show", "va"))[0].GetProperty("master").GetString());

        Nl.Links.ClearMaster("va");
        Assert.Null(Nl.Links.Get("va").MasterIndex);
    }

    [Fact]
    public void Vxlan_has_flannels_attributes()
    {
        Nl.Links.CreateVeth(new VethSpec("eth0", "peer0"));
        var vxlan = Nl.Links.CreateVxlan(new VxlanSpec("flannel.1", 1)
        {
            Local = IPAddress.Parse("192.168.50.2"),
            Parent = "eth0",
            Port = 8472,
            Learning = false,
            Mtu = 1450,
        });

        Assert.Equal("vxlan", vxlan.Kind);
        Assert.Equal(new VxlanInfo(1, IPAddress.Parse("192.168.50.2"), 8472, false, Nl.Links.Get("eth0").Index), vxlan.Vxlan);
        var data = Json(Ns.Ip("-j", "-d", "link", "show", "flannel.1"))[0].GetProperty("linkinfo").GetProperty("info_data");
        Assert.Equal(1, data.GetProperty("id").GetInt32());
        Assert.Equal(8472, data.GetProperty("port").GetInt32());
        Assert.Equal("192.168.50.2", data.GetProperty("local").GetString());
        Assert.False(data.GetProperty("learning").GetBoolean());
    }

    [Fact]
    public void Macvlan_sits_on_its_parent()
    {
        var parent = Nl.Links.CreateVeth(new VethSpec("eth0", "peer0"));
        var macvlan = Nl.Links.CreateMacvlan("mv0", "eth0", MacvlanMode.Bridge);

        Assert.Equal("macvlan", macvlan.Kind);
        Assert.Equal(parent.Index, macvlan.ParentIndex);
        var shown = Json(Ns.Ip("-j", "-d", "link", "show", "mv0"))[0];
        Assert.Equal("bridge", shown.GetProperty("linkinfo").GetProperty("info_data").GetProperty("mode").GetString());
    }

    [Fact]
    public void Move_rename_and_delete()
    {
        using var other = new TestNamespace();
        Nl.Links.CreateVeth(new VethSpec("va", "vb"));

        Nl.Links.MoveTo("vb", other);
        Assert.Null(Nl.Links.Find("vb"));
        using var otherNl = RtNetlink.Open(other);
        Assert.Equal("veth", otherNl.Links.Get("vb").Kind);

        otherNl.Links.Rename("vb", "eth0");
        Assert.Null(otherNl.Links.Find("vb"));
        Assert.Single(Json(other.Ip("-j", "link", "show", "eth0")));

        otherNl.Links.Delete("eth0");
        Assert.Null(Nl.Links.Find("va")); // deleting one end of a veth deletes the pair
        Assert.False(otherNl.Links.DeleteIfExists("eth0"));
    }

    [Fact]
    public void List_matches_iproute2()
    {
        Nl.Links.CreateBridge("br0");
        Nl.Links.CreateVeth(new VethSpec("va", "vb"));

        var ours = Nl.Links.List().Select(l => (l.Index, l.Name)).Order().ToList();
        var theirs = Json(Ns.Ip("-j", "link", "show")).Select(l => (l.GetProperty("ifindex").GetInt32(), l.GetProperty("ifname").GetString()!)).Order().ToList();
        Assert.Equal(theirs, ours);
        Assert.Contains(ours, l => l.Name == "lo");
    }

    [Fact]
    public void Errors_name_the_operation_the_object_and_the_namespace()
    {
        Nl.Links.CreateBridge("br0");

        var exists = Assert.Throws<LinuxException>(() => Nl.Links.CreateBridge("br0"));
        Assert.Equal("EEXIST", exists.ErrorName);
        Assert.Contains("create bridge br0", exists.Message);
        Assert.Contains(Ns.Name, exists.Message);

        var missing = Assert.Throws<LinuxException>(() => Nl.Links.SetUp("nosuch0"));
        Assert.Equal("ENODEV", missing.ErrorName);
        Assert.Contains("nosuch0", missing.Message);

        Assert.Throws<ArgumentException>(() => Nl.Links.CreateBridge("a-name-far-too-long"));
        Assert.Throws<ArgumentException>(() => Nl.Links.CreateBridge("a/b"));
    }

    internal static JsonElement[] Json(string text) => JsonDocument.Parse(text).RootElement.EnumerateArray().ToArray();
}
