using System.Text;
using Kybernet.Streams.Spdy;

namespace Kybernet.Streams.Tests.Spdy;

public sealed class CompressionTests
{
    [Fact]
    public void The_dictionary_is_the_specs_byte_for_byte()
    {
        // The spec's dictionary is 1423 bytes; its Adler-32 is the DICTID every SPDY/3 header stream names.
        Assert.Equal(1423, SpdyDictionary.Bytes.Length);
        uint a = 1, b = 0;
        foreach (var x in SpdyDictionary.Bytes)
        {
            a = (a + x) % 65521;
            b = (b + a) % 65521;
        }
        Assert.Equal(0xe3c6a7c2u, (b << 16) | a);
    }

    [Fact]
    public void Blocks_compressed_in_turn_decompress_in_turn_and_repeats_cost_less()
    {
        using var compressor = Zlib.Compressor();
        using var decompressor = Zlib.Decompressor();
        var block = HeaderBlock.Encode([new("streamtype", "stdout"), new("port", "8080"), new("requestid", "0")]);
        var first = compressor.Process(block);
        var second = compressor.Process(block);
        Assert.Equal(block, decompressor.Process(first));
        Assert.Equal(block, decompressor.Process(second));
        Assert.True(second.Length < first.Length, $"the second block ({second.Length} bytes) should refer back to the first ({first.Length})");
        // The stream names the dictionary (FDICT set, then its Adler-32), so a peer knows to seed its inflater.
        Assert.Equal(0x20, first[1] & 0x20);
        Assert.Equal(new byte[] { 0xe3, 0xc6, 0xa7, 0xc2 }, first[2..6]);
    }

    [Fact]
    public void Garbage_is_refused_with_zlibs_reason()
    {
        using var decompressor = Zlib.Decompressor();
        var e = Assert.Throws<InvalidDataException>(() => decompressor.Process(Encoding.ASCII.GetBytes("not a zlib stream at all")));
        Assert.Contains("zlib inflate", e.Message);
    }

    [Fact]
    public void Header_blocks_keep_names_lower_case_and_values_of_one_name_together()
    {
        var block = HeaderBlock.Encode([new("StreamType", "error"), new("x-stream-protocol-version", "v4.channel.k8s.io"), new("x-stream-protocol-version", "v3.channel.k8s.io")]);
        var decoded = HeaderBlock.Decode(block);
        Assert.Equal(
            [new("streamtype", "error"), new("x-stream-protocol-version", "v4.channel.k8s.io"), new("x-stream-protocol-version", "v3.channel.k8s.io")],
            decoded);
        Assert.Throws<InvalidDataException>(() => HeaderBlock.Decode(block.AsSpan(0, block.Length - 3)));
    }
}
