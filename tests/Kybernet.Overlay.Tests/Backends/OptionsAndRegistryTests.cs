using System.Text.Json.Nodes;
using Kybernet.Overlay.Backends;

namespace Kybernet.Overlay.Tests.Backends;

public sealed class OptionsAndRegistryTests
{
    [Fact]
    public void Vxlan_defaults_are_flannels()
    {
        var options = VxlanOptions.From(new JsonObject { ["Type"] = "vxlan" });
        Assert.Equal(new VxlanOptions(1, 8472), options);
        Assert.Equal("flannel.1", options.DeviceName);
        Assert.Equal("flannel.42", VxlanOptions.From(new JsonObject { ["VNI"] = 42, ["Port"] = 4789 }).DeviceName);
    }

    [Fact]
    public void Bad_vxlan_options_are_named()
    {
        var e = Assert.Throws<BackendException>(() => VxlanOptions.From(new JsonObject { ["VNI"] = 0 }));
        Assert.Equal("vxlan backend config: VNI must be 1-16777215, not 0", e.Message);
        e = Assert.Throws<BackendException>(() => VxlanOptions.From(new JsonObject { ["Port"] = "x" }));
        Assert.Equal("vxlan backend config: Port must be a whole number, not \"x\"", e.Message);
    }

    [Fact]
    public void Registry_knows_the_built_in_backends_by_name()
    {
        var registry = BackendRegistry.CreateDefault();
        Assert.Equal(["host-gw", "udp", "vxlan"], registry.Names.Order());
        var e = Assert.Throws<BackendException>(() => registry.Create("ipip", null!));
        Assert.Equal("unknown backend type \"ipip\" (known: host-gw, udp, vxlan)", e.Message);
    }
}
