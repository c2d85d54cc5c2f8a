using System.Net;
using CsCheck;

namespace Kybernet.Net.Tests;

public sealed class Ipv4CidrTests
{
    private static Ipv4Address A(string text) => Ipv4Address.Parse(text);
    private static Ipv4Cidr C(string text) => Ipv4Cidr.Parse(text);

    /// <summary>A random CIDR: any address (host bits and all) with any prefix length.</summary>
    private static readonly Gen<Ipv4Cidr> AnyCidr = Gen.Select(Gen.UInt, Gen.Int[0, 32], (a, p) => new Ipv4Cidr(new Ipv4Address(a), p));

    [Theory]
    [InlineData("10.244.1.1/24", "10.244.1.0/24", "10.244.1.255", "10.244.1.1", "10.244.1.254", 256ul, "255.255.255.0")]
    [InlineData("10.244.0.0/16", "10.244.0.0/16", "10.244.255.255", "10.244.0.1", "10.244.255.254", 65536ul, "255.255.0.0")]
    [InlineData("10.244.1.7/31", "10.244.1.6/31", "10.244.1.7", "10.244.1.6", "10.244.1.7", 2ul, "255.255.255.254")]
    [InlineData("10.244.1.7/32", "10.244.1.7/32", "10.244.1.7", "10.244.1.7", "10.244.1.7", 1ul, "255.255.255.255")]
    [InlineData("10.244.1.7/0", "0.0.0.0/0", "255.255.255.255", "0.0.0.1", "255.255.255.254", 1ul << 32, "0.0.0.0")]
    public void Knows_its_network(string text, string network, string broadcast, string firstHost, string lastHost, ulong count, string mask)
    {
        var cidr = C(text);
        Assert.Equal(text, cidr.ToString());
        Assert.Equal(C(network), cidr.Network);
        Assert.Equal(A(network[..network.IndexOf('/')]), cidr.NetworkAddress);
        Assert.Equal(A(broadcast), cidr.BroadcastAddress);
        Assert.Equal(A(firstHost), cidr.FirstHost);
        Assert.Equal(A(lastHost), cidr.LastHost);
        Assert.Equal(count, cidr.AddressCount);
        Assert.Equal(A(mask), cidr.Mask);
        Assert.Equal(text == network, cidr.IsNetwork);
    }

    [Fact]
    public void A_gateway_address_and_its_network_are_different_values()
    {
        var gateway = C("10.244.1.1/24");
        var network = C("10.244.1.0/24");
        Assert.NotEqual(network, gateway);
        Assert.Equal(network, gateway.Network);
        Assert.Equal(gateway, new Ipv4Cidr(network.AddressAt(1), 24));
        Assert.False(gateway.IsNetwork);
        Assert.True(network.IsNetwork);
    }

    [Theory]
    [InlineData("10.244.0.0", "it has no /prefix length")]
    [InlineData("10.244.0.0/33", "the prefix length \"33\" is not a number from 0 to 32")]
    [InlineData("10.244.0.0/+24", "the prefix length \"+24\" is not a number from 0 to 32")]
    [InlineData("10.244.0.0/ 24", "the prefix length \" 24\" is not a number from 0 to 32")]
    [InlineData("10.244.0.0/", "the prefix length \"\" is not a number from 0 to 32")]
    [InlineData("10.244.0.0/16/8", "the prefix length \"16/8\" is not a number from 0 to 32")]
    [InlineData("fd00::/64", "\"fd00::\" is not an IPv4 address")]
    [InlineData("::ffff:10.0.0.0/104", "\"::ffff:10.0.0.0\" is not an IPv4 address")]
    [InlineData("node/24", "\"node\" is not an IPv4 address")]
    [InlineData("/24", "\"\" is not an IPv4 address")]
    public void Says_what_is_wrong_with_bad_text(string text, string problem)
    {
        Assert.False(Ipv4Cidr.TryParse(text, out _));
        var e = Assert.Throws<FormatException>(() => Ipv4Cidr.Parse(text));
        Assert.Equal($"\"{text}\" is not an IPv4 CIDR (like 10.244.0.0/16): {problem}", e.Message);
    }

    [Fact]
    public void Parses_prefix_digits_and_addresses_as_System_Net_does()
    {
        Assert.Equal(C("10.244.0.0/16"), C("10.244.0.0/016"));
        Assert.Equal(C("10.0.0.244/16"), C("10.244/16"));
        Assert.True(IPNetwork.TryParse("10.244/16", out _)); // the same leniency, so callers that used it see no change
    }

    [Fact]
    public void Refuses_prefix_lengths_outside_0_to_32()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Ipv4Cidr(A("10.0.0.0"), 33));
        Assert.StartsWith("an IPv4 prefix length is 0 to 32, not 33", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Ipv4Cidr.Netmask(-1));
    }

    [Fact]
    public void Contains_addresses_and_networks()
    {
        var pods = C("10.244.0.0/16");
        Assert.True(pods.Contains(A("10.244.255.255")));
        Assert.False(pods.Contains(A("10.245.0.0")));
        Assert.True(pods.Contains(C("10.244.7.0/24")));
        Assert.True(pods.Contains(C("10.244.7.1/24"))); // by its network
        Assert.True(pods.Contains(pods));
        Assert.False(pods.Contains(C("10.0.0.0/8")));
        Assert.False(C("10.244.7.0/24").Contains(pods));
        Assert.True(C("0.0.0.0/0").Contains(A("255.255.255.255")));
    }

    [Fact]
    public void Overlaps_when_one_holds_the_other()
    {
        Assert.True(C("10.244.0.0/16").Overlaps(C("10.244.5.0/24")));
        Assert.True(C("10.244.5.0/24").Overlaps(C("10.244.0.0/16")));
        Assert.True(C("10.244.5.0/24").Overlaps(C("10.244.5.128/25")));
        Assert.False(C("10.244.5.0/24").Overlaps(C("10.244.6.0/24")));
        Assert.False(C("10.244.0.0/16").Overlaps(C("10.96.0.0/12")));
    }

    [Fact]
    public void Counts_addresses_from_the_network_address()
    {
        var subnet = C("10.244.1.1/24");
        Assert.Equal(A("10.244.1.0"), subnet.AddressAt(0));
        Assert.Equal(A("10.244.1.255"), subnet.AddressAt(255));
        Assert.Equal(16ul, subnet.OffsetOf(A("10.244.1.16")));
        var beyond = Assert.Throws<ArgumentOutOfRangeException>(() => subnet.AddressAt(256));
        Assert.StartsWith("10.244.1.0/24 holds 256 addresses: offset 256 is outside it", beyond.Message);
        var outside = Assert.Throws<ArgumentOutOfRangeException>(() => subnet.OffsetOf(A("10.244.2.0")));
        Assert.StartsWith("10.244.2.0 is not in 10.244.1.0/24", outside.Message);
        Assert.Equal(A("255.255.255.255"), C("0.0.0.0/0").AddressAt(uint.MaxValue));
    }

    [Fact]
    public void Steps_to_the_next_network_of_the_same_length()
    {
        Assert.Equal(C("10.244.2.0/24"), C("10.244.1.0/24").Next());
        Assert.Equal(C("10.245.0.0/24"), C("10.244.255.9/24").Next());
        Assert.Equal(C("0.0.0.1/32"), C("0.0.0.0/32").Next());
        var e = Assert.Throws<OverflowException>(() => C("255.255.255.0/24").Next());
        Assert.Equal("255.255.255.0/24 is the last /24: no network comes after it", e.Message);
        Assert.Throws<OverflowException>(() => C("0.0.0.0/0").Next());
    }

    [Fact]
    public void Splits_into_subnets_and_finds_their_index()
    {
        var cluster = C("10.244.0.0/22");
        Assert.Equal(4ul, cluster.SubnetCount(24));
        Assert.Equal(1ul, cluster.SubnetCount(22));
        Assert.Equal(1024ul, cluster.SubnetCount(32));
        Assert.Equal([C("10.244.0.0/24"), C("10.244.1.0/24"), C("10.244.2.0/24"), C("10.244.3.0/24")], cluster.Subnets(24));
        Assert.Equal(C("10.244.3.0/24"), cluster.Subnet(24, 3));
        Assert.Equal(2ul, cluster.SubnetIndexOf(A("10.244.2.77"), 24));
        Assert.Equal(C("10.244.0.0/22"), cluster.Subnets(22).Single());
        Assert.Equal(1ul << 32, C("0.0.0.0/0").SubnetCount(32));
        Assert.Equal(C("255.255.255.255/32"), C("0.0.0.0/0").Subnet(32, uint.MaxValue));

        var index = Assert.Throws<ArgumentOutOfRangeException>(() => cluster.Subnet(24, 4));
        Assert.StartsWith("10.244.0.0/22 splits into 4 /24 subnets: index 4 is outside it", index.Message);
        var length = Assert.Throws<ArgumentOutOfRangeException>(() => cluster.SubnetCount(21));
        Assert.StartsWith("10.244.0.0/22 splits only into subnets of /22 to /32, not /21", length.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => cluster.Subnets(33));
        Assert.Throws<ArgumentOutOfRangeException>(() => cluster.SubnetIndexOf(A("10.244.4.0"), 24));
    }

    [Fact]
    public void Converts_to_and_from_IPNetwork()
    {
        Assert.Equal(C("10.244.0.0/16"), Ipv4Cidr.From(IPNetwork.Parse("10.244.0.0/16")));
        Assert.Equal(IPNetwork.Parse("10.244.1.0/24"), C("10.244.1.0/24").ToIPNetwork());
        var hostBits = Assert.Throws<InvalidOperationException>(() => C("10.244.1.1/24").ToIPNetwork());
        Assert.Equal("10.244.1.1/24 has host bits set, which an IPNetwork cannot hold: convert its Network (10.244.1.0/24)", hostBits.Message);
        Assert.False(Ipv4Cidr.TryFrom(IPNetwork.Parse("fd00::/64"), out _));
        Assert.StartsWith("fd00::/64 is not an IPv4 network", Assert.Throws<ArgumentException>(() => Ipv4Cidr.From(IPNetwork.Parse("fd00::/64"))).Message);
    }

    [Fact]
    public void Orders_by_address_then_prefix_length()
    {
        Assert.Equal(
            [C("10.244.2.0/23"), C("10.244.2.0/24"), C("10.244.10.0/24")],
            new[] { C("10.244.10.0/24"), C("10.244.2.0/24"), C("10.244.2.0/23") }.Order());
        Assert.True(C("10.244.2.0/24") < C("10.244.10.0/24"));
        Assert.True(C("10.244.2.0/24") >= C("10.244.2.0/23"));
    }

    [Fact]
    public void TryFormat_writes_nothing_when_the_span_is_short()
    {
        var cidr = C("255.255.255.255/32");
        Span<char> text = stackalloc char[Ipv4Cidr.MaxTextLength];
        for (int length = 0; length < Ipv4Cidr.MaxTextLength; length++)
        {
            Assert.False(cidr.TryFormat(text[..length], out int written));
            Assert.Equal(0, written);
        }
        Assert.True(cidr.TryFormat(text, out int all));
        Assert.Equal("255.255.255.255/32", text[..all].ToString());
    }

    [Fact]
    public void Arithmetic_and_formatting_allocate_nothing()
    {
        Span<char> text = stackalloc char[Ipv4Cidr.MaxTextLength];
        var gateway = C("10.244.1.1/24"); // parsing allocates (System.Net's parser); arithmetic must not
        long sum = Work(gateway, text); // warm up (the JIT allocates on first calls)
        long before = GC.GetAllocatedBytesForCurrentThread();
        sum += Work(gateway, text);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.NotEqual(0, sum);

        static long Work(Ipv4Cidr cidr, Span<char> text)
        {
            long sum = 0;
            for (uint i = 0; i < 1000; i++)
            {
                var address = cidr.AddressAt(i % cidr.AddressCount) + 1;
                var network = new Ipv4Cidr(address, 16 + (int)(i % 16)).Network;
                sum += network.Contains(cidr) ? 1 : 0;
                sum += (long)network.SubnetIndexOf(address, 32) + (long)cidr.Next().OffsetOf(cidr.Next().BroadcastAddress);
                sum += network.TryFormat(text, out int written) ? written : 0;
                sum += address.CompareTo(cidr.Address) + (network.Overlaps(cidr) ? 1 : 0);
            }
            return sum;
        }
    }

    [Fact]
    public void The_network_holds_the_address_between_its_first_and_last() =>
        AnyCidr.Sample(cidr =>
        {
            var network = cidr.Network;
            Assert.True(network.IsNetwork);
            Assert.Equal(network, network.Network);
            Assert.True(cidr.Contains(cidr.Address) && network.Contains(cidr));
            Assert.True(cidr.NetworkAddress <= cidr.Address && cidr.Address <= cidr.BroadcastAddress);
            Assert.Equal((long)cidr.AddressCount - 1, cidr.BroadcastAddress - cidr.NetworkAddress);
            Assert.Equal(cidr.Address, cidr.AddressAt(cidr.OffsetOf(cidr.Address)));
            Assert.True(network.FirstHost <= network.LastHost);
        });

    [Fact]
    public void Agrees_with_System_Net_on_networks_and_containment() =>
        Gen.Select(AnyCidr, Gen.UInt).Sample((cidr, other) =>
        {
            var network = new IPNetwork(cidr.Address.ToIPAddress(), cidr.PrefixLength); // .NET clears host bits
            Assert.Equal(network, cidr.Network.ToIPNetwork());
            Assert.Equal(network.ToString(), cidr.Network.ToString());
            Assert.Equal(cidr.Network, Ipv4Cidr.From(network));
            Assert.Equal(network.Contains(new Ipv4Address(other).ToIPAddress()), cidr.Contains(new Ipv4Address(other)));
            Assert.Equal(cidr, Ipv4Cidr.Parse(cidr.ToString()));
        });

    [Fact]
    public void Overlap_and_containment_are_about_the_address_ranges() =>
        Gen.Select(AnyCidr, AnyCidr).Sample((a, b) =>
        {
            bool share = a.NetworkAddress <= b.BroadcastAddress && b.NetworkAddress <= a.BroadcastAddress;
            Assert.Equal(share, a.Overlaps(b));
            Assert.Equal(a.Overlaps(b), b.Overlaps(a));
            bool within = a.NetworkAddress <= b.NetworkAddress && b.BroadcastAddress <= a.BroadcastAddress;
            Assert.Equal(within, a.Contains(b));
        });

    [Fact]
    public void A_subnet_found_by_index_holds_the_address() =>
        Gen.Select(AnyCidr, Gen.Int[0, 32], Gen.ULong).Sample((cidr, extra, pick) =>
        {
            int length = Math.Min(32, cidr.PrefixLength + extra % 17);
            var address = cidr.AddressAt(pick % cidr.AddressCount);
            var index = cidr.SubnetIndexOf(address, length);
            var subnet = cidr.Subnet(length, index);
            Assert.True(index < cidr.SubnetCount(length));
            Assert.Equal(cidr.AddressCount, subnet.AddressCount * cidr.SubnetCount(length));
            Assert.True(subnet.IsNetwork && subnet.PrefixLength == length);
            Assert.True(subnet.Contains(address) && cidr.Contains(subnet));
            if (index + 1 < cidr.SubnetCount(length))
                Assert.Equal(cidr.Subnet(length, index + 1), subnet.Next());
        });
}
