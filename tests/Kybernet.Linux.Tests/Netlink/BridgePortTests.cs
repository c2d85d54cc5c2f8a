using Kybernet.Linux.Netlink;
using static Kybernet.Linux.Tests.Netlink.LinkTests;

namespace Kybernet.Linux.Tests.Netlink;

public sealed class BridgePortTests : NetlinkTestBase
{
    public BridgePortTests()
    {
        Nl.Links.CreateBridge("br0");
        Nl.Links.CreateVeth(new VethSpec("va", "vb"));
        Nl.Links.SetMaster("va", "br0");
    }

    [Fact]
    public void Promiscuous_mode_on_and_off()
    {
        Nl.Links.SetPromiscuous("br0", true);
        Assert.True(Nl.Links.Get("br0").IsPromiscuous);
        Assert.Equal(1, Json(Ns.Ip("-j", "-d", "link", "show", "br0"))[0].GetProperty("promiscuity").GetInt32());
        Nl.Links.SetPromiscuous("br0", false);
        Assert.False(Nl.Links.Get("br0").IsPromiscuous);
    }

    [Fact]
    public void Hairpin_mode_on_a_port()
    {
        Assert.False(Nl.Links.GetHairpin("va"));
        Nl.Links.SetHairpin("va", true);
        Assert.True(Nl.Links.GetHairpin("va"));
        var info = Json(Ns.Ip("-j", "-d", "link", "show", "va"))[0].GetProperty("linkinfo").GetProperty("info_slave_data");
        Assert.True(info.GetProperty("hairpin").GetBoolean());
        Nl.Links.SetHairpin("va", false);
        Assert.False(Nl.Links.GetHairpin("va"));
    }

    [Fact]
    public void Port_vlan_as_pvid_untagged_on_a_filtering_bridge()
    {
        // Kernels built without CONFIG_BRIDGE_VLAN_FILTERING (this machine's) refuse the switch; then
        // the error must say so plainly, and iproute2 must agree that it is the kernel refusing.
        LinuxException? refused = null;
        try { Nl.Links.SetVlanFiltering("br0", true); }
        catch (LinuxException e) { refused = e; }
        if (refused is not null)
        {
            Assert.Equal("EOPNOTSUPP", refused.ErrorName);
            Assert.Contains("set vlan filtering on on br0", refused.Message);
            Assert.Throws<InvalidOperationException>(() => Ns.Ip("link", "set", "br0", "type", "bridge", "vlan_filtering", "1"));
            return;
        }
        Assert.Equal(1, Json(Ns.Ip("-j", "-d", "link", "show", "br0"))[0].GetProperty("linkinfo").GetProperty("info_data").GetProperty("vlan_filtering").GetInt32());

        Nl.Links.AddPortVlan("va", 100);
        Nl.Links.DeletePortVlan("va", 1);

        var vlan = Assert.Single(Nl.Links.PortVlans("va"));
        Assert.Equal((100, true, true), ((int)vlan.Vid, vlan.Pvid, vlan.Untagged));
        var shown = Tool.Run("ip", "netns", "exec", Ns.Name, "bridge", "-j", "vlan", "show", "dev", "va");
        Assert.Contains("\"vlan\":100", shown);
    }

    [Fact]
    public void Vlan_ids_outside_1_to_4094_are_refused_before_the_kernel()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Nl.Links.AddPortVlan("va", 4095));
        Assert.Throws<ArgumentOutOfRangeException>(() => Nl.Links.AddPortVlan("va", 0));
    }
}
