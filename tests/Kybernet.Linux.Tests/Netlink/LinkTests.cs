using System.Net;
using System.Net.NetworkInformation;
using System.Text.Json;
using Kybernet.Linux.Netlink;

namespace Kybernet.Linux.Tests.Netlink;

public sealed class LinkTests : IDisposable
{
    private readonly TestNamespace _ns = new();
    private readonly RtNetlink _nl;

    public LinkTests() => _nl = RtNetlink.Open(_ns);

    public void Dispose()
    {
        _nl.Dispose();
        _ns.Dispose();
    }

    [Fact]
    public void Veth_peer_is_born_in_the_target_namespace()
    {
        using var pod = new TestNamespace();
        var host = _nl.Links.CreateVeth(new VethSpec("veth0", "eth0") { PeerNamespace = pod, Mtu = 1450 });

        Assert.Equal("veth", host.Kind);
        Assert.Equal(1450, host.Mtu);
        Assert.Null(_nl.Links.Find("eth0"));
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
        _nl.Links.CreateVeth(new VethSpec("va", "vb") { Mac = mac, PeerMac = peerMac });

        Assert.Equal(mac, _nl.Links.Get("va").Mac);
        Assert.Equal(peerMac, _nl.Links.Get("vb").Mac);
        Assert.Equal("02:00:00:00:00:0b", Json(_ns.Ip("-j", "link", "show", "vb"))[0].GetProperty("address").GetString());
    }

    [Fact]
    public void Up_down_mtu_and_mac_changes_are_read_back()
    {
        _nl.Links.CreateVeth(new VethSpec("va", "vb"));
        _nl.Links.SetUp("va");
        _nl.Links.SetUp("vb");
        Assert.True(_nl.Links.Get("va").IsUp);
        Assert.Contains("UP", Json(_ns.Ip("-j", "link", "show", "va"))[0].GetProperty("flags").EnumerateArray().Select(f => f.GetString()));

        _nl.Links.SetDown("va");
        Assert.False(_nl.Links.Get("va").IsUp);

        _nl.Links.SetMtu("va", 1400);
        Assert.Equal(1400, _nl.Links.Get("va").Mtu);

        var mac = PhysicalAddress.Parse("02-AA-BB-CC-DD-EE");
        _nl.Links.SetMac("va", mac);
        Assert.Equal(mac, _nl.Links.Get("va").Mac);
        Assert.Equal(1400, Json(_ns.Ip("-j", "link", "show", "va"))[0].GetProperty("mtu").GetInt32());
    }

    [Fact]
    public void Bridge_ports_attach_and_detach()
    {
        var bridge = _nl.Links.CreateBridge("br0", mtu: 1450);
        _nl.Links.CreateVeth(new VethSpec("va", "vb"));
        Assert.Equal("bridge", bridge.Kind);

        _nl.Links.SetMaster("va", "br0");
        Assert.Equal(bridge.Index, _nl.Links.Get("va").MasterIndex);
        Assert.Equal("br0", Json(_ns.Ip("-j", "link", "show", "va"))[0].GetProperty("master").GetString());

        _nl.Links.ClearMaster("va");
        Assert.Null(_nl.Links.Get("va").MasterIndex);
    }

    [Fact]
    public void Vxlan_has_flannels_attributes()
    {
        _nl.Links.CreateVeth(new VethSpec("eth0", "peer0"));
        var vxlan = _nl.Links.CreateVxlan(new VxlanSpec("flannel.1", 1)
        {
            Local = IPAddress.Parse("192.168.50.2"),
            Parent = "eth0",
            Port = 8472,
            Learning = false,
            Mtu = 1450,
        });

        Assert.Equal("vxlan", vxlan.Kind);
        Assert.Equal(new VxlanInfo(1, IPAddress.Parse("192.168.50.2"), 8472, false, _nl.Links.Get("eth0").Index), vxlan.Vxlan);
        var data = Json(_ns.Ip("-j", "-d", "link", "show", "flannel.1"))[0].GetProperty("linkinfo").GetProperty("info_data");
        Assert.Equal(1, data.GetProperty("id").GetInt32());
        Assert.Equal(8472, data.GetProperty("port").GetInt32());
        Assert.Equal("192.168.50.2", data.GetProperty("local").GetString());
        Assert.False(data.GetProperty("learning").GetBoolean());
    }

    [Fact]
    public void Macvlan_sits_on_its_parent()
    {
        var parent = _nl.Links.CreateVeth(new VethSpec("eth0", "peer0"));
        var macvlan = _nl.Links.CreateMacvlan("mv0", "eth0", MacvlanMode.Bridge);

        Assert.Equal("macvlan", macvlan.Kind);
        Assert.Equal(parent.Index, macvlan.ParentIndex);
        var shown = Json(_ns.Ip("-j", "-d", "link", "show", "mv0"))[0];
        Assert.Equal("bridge", shown.GetProperty("linkinfo").GetProperty("info_data").GetProperty("mode").GetString());
    }

    [Fact]
    public void Move_rename_and_delete()
    {
        using var other = new TestNamespace();
        _nl.Links.CreateVeth(new VethSpec("va", "vb"));

        _nl.Links.MoveTo("vb", other);
        Assert.Null(_nl.Links.Find("vb"));
        using var otherNl = RtNetlink.Open(other);
        Assert.Equal("veth", otherNl.Links.Get("vb").Kind);

        otherNl.Links.Rename("vb", "eth0");
        Assert.Null(otherNl.Links.Find("vb"));
        Assert.Single(Json(other.Ip("-j", "link", "show", "eth0")));

        otherNl.Links.Delete("eth0");
        Assert.Null(_nl.Links.Find("va")); // deleting one end of a veth deletes the pair
        Assert.False(otherNl.Links.DeleteIfExists("eth0"));
    }

    [Fact]
    public void List_matches_iproute2()
    {
        _nl.Links.CreateBridge("br0");
        _nl.Links.CreateVeth(new VethSpec("va", "vb"));

        var ours = _nl.Links.List().Select(l => (l.Index, l.Name)).Order().ToList();
        var theirs = Json(_ns.Ip("-j", "link", "show")).Select(l => (l.GetProperty("ifindex").GetInt32(), l.GetProperty("ifname").GetString()!)).Order().ToList();
        Assert.Equal(theirs, ours);
        Assert.Contains(ours, l => l.Name == "lo");
    }

    [Fact]
    public void Errors_name_the_operation_the_object_and_the_namespace()
    {
        _nl.Links.CreateBridge("br0");

        var exists = Assert.Throws<LinuxException>(() => _nl.Links.CreateBridge("br0"));
        Assert.Equal("EEXIST", exists.ErrorName);
        Assert.Contains("create bridge br0", exists.Message);
        Assert.Contains(_ns.Name, exists.Message);

        var missing = Assert.Throws<LinuxException>(() => _nl.Links.SetUp("nosuch0"));
        Assert.Equal("ENODEV", missing.ErrorName);
        Assert.Contains("nosuch0", missing.Message);

        Assert.Throws<ArgumentException>(() => _nl.Links.CreateBridge("a-name-far-too-long"));
        Assert.Throws<ArgumentException>(() => _nl.Links.CreateBridge("a/b"));
    }

    internal static JsonElement[] Json(string text) => JsonDocument.Parse(text).RootElement.EnumerateArray().ToArray();
}
