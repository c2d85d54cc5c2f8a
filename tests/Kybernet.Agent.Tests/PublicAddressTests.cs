using System.Net;

namespace Kybernet.Agent.Tests;

/// <summary>The node's public address as flanneld finds it, in a throwaway namespace.</summary>
public sealed class PublicAddressTests
{
    [Fact]
    public void It_is_the_first_ipv4_address_of_the_device_or_the_one_given()
    {
        using var ns = new TestNamespace();
        ns.Ip("link", "add", "d0", "type", "bridge");
        ns.Ip("addr", "add", "fd00::5/64", "dev", "d0");
        ns.Ip("addr", "add", "192.0.2.5/24", "dev", "d0");
        ns.Ip("addr", "add", "192.0.2.6/24", "dev", "d0");

        Assert.Equal(IPAddress.Parse("192.0.2.5"), PublicAddress.Resolve(ns, "d0", null));
        Assert.Equal(IPAddress.Parse("198.51.100.1"), PublicAddress.Resolve(ns, "d0", IPAddress.Parse("198.51.100.1")));
    }

    [Fact]
    public void A_device_without_ipv4_or_an_ipv6_public_ip_is_refused_in_one_line()
    {
        using var ns = new TestNamespace();
        ns.Ip("link", "add", "d0", "type", "bridge");

        var e = Assert.Throws<AgentConfigurationException>(() => PublicAddress.Resolve(ns, "d0", null));
        Assert.Equal($"d0 has no IPv4 address in netns {ns.Name}; give --public-ip", e.Message);
        e = Assert.Throws<AgentConfigurationException>(() => PublicAddress.Resolve(ns, "d0", IPAddress.Parse("fd00::1")));
        Assert.Equal("the public IP fd00::1 is not an IPv4 address", e.Message);
    }
}
