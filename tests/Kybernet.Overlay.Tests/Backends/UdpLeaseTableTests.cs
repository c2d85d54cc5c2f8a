using System.Net;
using Kybernet.Net;
using Kybernet.Overlay.Backends;

namespace Kybernet.Overlay.Tests.Backends;

/// <summary>The udp data path's lookup alone (pure).</summary>
public sealed class UdpLeaseTableTests
{
    private static readonly IPEndPoint Node2 = IPEndPoint.Parse("192.168.200.12:8285");
    private static readonly IPEndPoint Node3 = IPEndPoint.Parse("192.168.200.13:8285");
    private static readonly IPEndPoint Gateway = IPEndPoint.Parse("192.168.200.1:8285");

    private static readonly UdpLeaseTable Table = UdpLeaseTable.Build(
    [
        (IPNetwork.Parse("10.244.2.0/24"), Node2),
        (IPNetwork.Parse("10.244.3.0/24"), Node3),
        (IPNetwork.Parse("10.244.3.128/25"), Node2),
        (IPNetwork.Parse("0.0.0.0/0"), Gateway),
    ]);

    [Theory]
    [InlineData("10.244.2.7", "192.168.200.12:8285")]
    [InlineData("10.244.3.7", "192.168.200.13:8285")]
    [InlineData("10.244.3.200", "192.168.200.12:8285")] // the /25 is more specific than its /24
    [InlineData("10.96.0.10", "192.168.200.1:8285")]
    public void Finds_the_node_of_the_most_specific_subnet(string destination, string node)
    {
        Assert.Equal(IPEndPoint.Parse(node), Table.Find(IPAddress.Parse(destination)));
        Assert.Equal(UdpPeer.From(IPEndPoint.Parse(node)), Table.Find(Ipv4Address.Parse(destination)));
    }

    [Fact]
    public void Finds_nothing_outside_every_subnet_and_for_IPv6()
    {
        var table = UdpLeaseTable.Build([(IPNetwork.Parse("10.244.2.0/24"), Node2)]);
        Assert.Null(table.Find(Ipv4Address.Parse("10.244.1.2")));
        Assert.Null(table.Find(IPAddress.Parse("fd00::1")));
        Assert.Null(UdpLeaseTable.Empty.Find(Ipv4Address.Parse("10.244.2.1")));
    }

    [Fact]
    public void Refuses_a_subnet_twice_and_IPv6()
    {
        var twice = Assert.Throws<ArgumentException>(() => UdpLeaseTable.Build([(IPNetwork.Parse("10.244.2.0/24"), Node2), (IPNetwork.Parse("10.244.2.0/24"), Node3)]));
        Assert.StartsWith("udp lease table: 10.244.2.0/24 appears twice", twice.Message);
        var v6 = Assert.Throws<ArgumentException>(() => UdpLeaseTable.Build([(IPNetwork.Parse("fd00::/64"), Node2)]));
        Assert.StartsWith("udp lease table: fd00::/64 -> 192.168.200.12:8285 is not IPv4", v6.Message);
    }

    [Fact]
    public void A_lookup_allocates_nothing()
    {
        var destination = Ipv4Address.Parse("10.244.3.200");
        Table.Find(destination); // warm up
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
            Table.Find(destination + (uint)(i % 50));
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
