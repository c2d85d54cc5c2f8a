using System.Buffers.Binary;
using Kybernet.Streams.Spdy;

namespace Kybernet.Streams.Tests.Spdy;

/// <summary>
/// The server end of a SPDY session, written from the spec for the tests (the real ones are containerd's and the
/// kubelet's, met in the lab tests): reads frames, answers streams, sends data, FIN, PING and GOAWAY.
/// </summary>
public sealed class SpdyPeer(Stream connection) : IDisposable
{
    private readonly Zlib _inflate = Zlib.Decompressor();
    private readonly Zlib _deflate = Zlib.Compressor();

    public sealed record Frame(SpdyFrames.FrameHeader Header, byte[] Body, List<KeyValuePair<string, string>>? Headers);

    public async Task<Frame?> ReadAsync()
    {
        var head = new byte[8];
        var read = 0;
        while (read < 8)
        {
            var n = await connection.ReadAsync(head.AsMemory(read));
            if (n == 0)
                return null;
            read += n;
        }
        var header = SpdyFrames.FrameHeader.Parse(head);
        var body = new byte[header.Length];
        await connection.ReadExactlyAsync(body);
        var headers = header is { IsControl: true, Type: SpdyFrames.SynStream } ? HeaderBlock.Decode(_inflate.Process(body.AsSpan(10))) : null;
        return new Frame(header, body, headers);
    }

    public Task ReplyAsync(uint streamId, params KeyValuePair<string, string>[] headers)
    {
        var block = _deflate.Process(HeaderBlock.Encode(headers));
        var frame = new byte[8 + 4 + block.Length];
        SpdyFrames.WriteControlHeader(frame, SpdyFrames.SynReply, 0, 4 + block.Length);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(8), streamId);
        block.CopyTo(frame.AsSpan(12));
        return WriteAsync(frame);
    }

    public Task DataAsync(uint streamId, byte[] data, bool fin = false)
    {
        var frame = new byte[8 + data.Length];
        SpdyFrames.WriteDataHeader(frame, streamId, fin ? SpdyFrames.Fin : (byte)0, data.Length);
        data.CopyTo(frame.AsSpan(8));
        return WriteAsync(frame);
    }

    public Task PingAsync(uint id)
    {
        var frame = new byte[12];
        SpdyFrames.WriteControlHeader(frame, SpdyFrames.Ping, 0, 4);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(8), id);
        return WriteAsync(frame);
    }

    private async Task WriteAsync(byte[] frame)
    {
        await connection.WriteAsync(frame);
        await connection.FlushAsync();
    }

    public void Dispose()
    {
        connection.Dispose();
        _inflate.Dispose();
        _deflate.Dispose();
    }
}
