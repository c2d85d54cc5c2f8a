using System.Net;
using CsCheck;

namespace Kybernet.Net.Tests;

public sealed class Ipv4AddressTests
{
    [Theory]
    [InlineData("10.244.1.2", 0x0AF40102u)]
    [InlineData("0.0.0.0", 0u)]
    [InlineData("255.255.255.255", uint.MaxValue)]
    [InlineData("192.168.200.11", 0xC0A8C80Bu)]
    public void Value_is_the_address_read_in_network_order(string text, uint value)
    {
        var address = Ipv4Address.Parse(text);
        Assert.Equal(value, address.Value);
        Assert.Equal(text, address.ToString());
        Span<byte> bytes = stackalloc byte[4];
        address.Write(bytes);
        Assert.Equal(IPAddress.Parse(text).GetAddressBytes(), bytes.ToArray());
        Assert.Equal(address, Ipv4Address.Read(bytes));
    }

    [Fact]
    public void Parses_what_IPAddress_parses_as_the_code_before_it_did()
    {
        Assert.Equal(Ipv4Address.Parse("10.0.0.1"), Ipv4Address.Parse("10.1"));
        Assert.Equal(IPAddress.Parse("010.1.1.1"), Ipv4Address.Parse("010.1.1.1").ToIPAddress());
    }

    [Theory]
    [InlineData("")]
    [InlineData(" 10.1.1.1")]
    [InlineData("10.1.1.256")]
    [InlineData("10.1.1.1/24")]
    [InlineData("fd00::1")]
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("node-1")]
    public void Refuses_what_is_not_an_IPv4_address(string text)
    {
        Assert.False(Ipv4Address.TryParse(text, out _));
        var e = Assert.Throws<FormatException>(() => Ipv4Address.Parse(text));
        Assert.Equal($"\"{text}\" is not an IPv4 address (like 10.244.1.2)", e.Message);
    }

    [Fact]
    public void Converts_IPv4_IPAddresses_only()
    {
        Assert.Equal(new Ipv4Address(0x0AF40102), Ipv4Address.From(IPAddress.Parse("10.244.1.2")));
        Assert.False(Ipv4Address.TryFrom(IPAddress.Parse("::ffff:10.244.1.2"), out _));
        var e = Assert.Throws<ArgumentException>(() => Ipv4Address.From(IPAddress.Parse("fd00::1")));
        Assert.StartsWith("fd00::1 is not an IPv4 address", e.Message);
    }

    [Fact]
    public void Adds_and_subtracts_without_wrapping_around()
    {
        var a = Ipv4Address.Parse("10.244.0.255");
        Assert.Equal(Ipv4Address.Parse("10.244.1.0"), a + 1);
        Assert.Equal(Ipv4Address.Parse("10.243.255.255"), a - 256);
        Assert.Equal(256, Ipv4Address.Parse("10.244.1.255") - a);
        Assert.Equal(-256, a - Ipv4Address.Parse("10.244.1.255"));
        Assert.Equal("255.255.255.255 + 1 is past 255.255.255.255", Assert.Throws<OverflowException>(() => Ipv4Address.Broadcast + 1).Message);
        Assert.Equal("0.0.0.1 - 2 is before 0.0.0.0", Assert.Throws<OverflowException>(() => new Ipv4Address(1) - 2).Message);
    }

    [Fact]
    public void Compares_in_address_order()
    {
        var low = Ipv4Address.Parse("10.244.2.0");
        var high = Ipv4Address.Parse("10.244.10.0");
        var same = Ipv4Address.Parse("10.244.2.0");
        Assert.True(low < high && high > low && low <= same && low >= same && !(low < same));
        Assert.Equal([low, high], new[] { high, low }.Order());
    }

    [Fact]
    public void TryFormat_writes_nothing_when_the_span_is_short()
    {
        var address = Ipv4Address.Parse("192.168.200.11");
        Span<char> text = stackalloc char[Ipv4Address.MaxTextLength];
        for (int length = 0; length < 14; length++)
        {
            Assert.False(address.TryFormat(text[..length], out int written));
            Assert.Equal(0, written);
        }
        Assert.True(address.TryFormat(text[..14], out int all));
        Assert.Equal("192.168.200.11", text[..all].ToString());
    }

    [Fact]
    public void Every_address_formats_parses_and_converts_as_System_Net_does() =>
        Gen.UInt.Sample(value =>
        {
            var address = new Ipv4Address(value);
            var ip = address.ToIPAddress();
            Assert.Equal(ip.ToString(), address.ToString());
            Assert.Equal(address, Ipv4Address.Parse(address.ToString()));
            Assert.Equal(address, Ipv4Address.From(ip));
            Assert.Equal(address, Ipv4Address.Read(ip.GetAddressBytes()));
        });

    [Fact]
    public void Order_and_arithmetic_agree_with_the_numbers() =>
        Gen.Select(Gen.UInt, Gen.UInt).Sample((x, y) =>
        {
            var (a, b) = (new Ipv4Address(x), new Ipv4Address(y));
            Assert.Equal(x.CompareTo(y), a.CompareTo(b));
            Assert.Equal((long)x - y, a - b);
            if (x >= y)
                Assert.Equal(a, b + (x - y));
            else
                Assert.Equal(a, b - (y - x));
        });
}
