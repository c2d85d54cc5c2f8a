using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;

namespace Kybernet.Streams.Spdy;

/// <summary>
/// The client end of a SPDY/3.1 session over an upgraded HTTP connection, as Kubernetes uses it: we open the streams
/// (odd ids), the peer replies to each, data flows both ways, FIN half-closes. Like upstream's spdystream there is no
/// flow control: WINDOW_UPDATE and SETTINGS are read and ignored, and back-pressure is TCP's (the reader hands each
/// frame on and waits before reading the next). PINGs are answered; header blocks share one zlib stream per direction,
/// so every one received is decompressed, even where it is not wanted, to keep the state in step.
/// </summary>
public sealed class SpdyConnection(Stream transport) : IAsyncDisposable
{
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly byte[] _dataHeader = new byte[SpdyFrames.HeaderLength];
    private readonly Zlib _compressor = Zlib.Compressor();
    private readonly Zlib _decompressor = Zlib.Decompressor();
    private readonly ConcurrentDictionary<uint, SpdyStream> _streams = new();
    private uint _nextStreamId = 1;
    private int _disposed;
    private int _reader; // 0 not started, 1 reading, 2 done: the reader owns the decompressor once it starts

    /// <summary>Opens a stream with these headers (SYN_STREAM); await <see cref="SpdyStream.Replied"/> for the peer's answer.</summary>
    public async Task<SpdyStream> OpenStreamAsync(IReadOnlyList<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        var block = HeaderBlock.Encode(headers);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            var id = _nextStreamId;
            _nextStreamId += 2;
            var stream = new SpdyStream(this, id, headers);
            _streams[id] = stream;
            // Compressed under the write lock: the peer decompresses blocks in the order they are on the wire.
            var compressed = _compressor.Process(block);
            var frame = new byte[SpdyFrames.HeaderLength + 10 + compressed.Length];
            SpdyFrames.WriteControlHeader(frame, SpdyFrames.SynStream, 0, 10 + compressed.Length);
            BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(8), id);
            // associated stream 0, priority 0, slot 0: the 6 bytes are already zero.
            compressed.CopyTo(frame.AsSpan(18));
            await transport.WriteAsync(frame, cancellationToken);
            await transport.FlushAsync(cancellationToken);
            return stream;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    internal async Task WriteDataAsync(uint streamId, ReadOnlyMemory<byte> data, bool fin, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            do
            {
                var chunk = data[..Math.Min(data.Length, SpdyFrames.MaxLength)];
                data = data[chunk.Length..];
                SpdyFrames.WriteDataHeader(_dataHeader, streamId, fin && data.IsEmpty ? SpdyFrames.Fin : (byte)0, chunk.Length);
                await transport.WriteAsync(_dataHeader, cancellationToken);
                if (!chunk.IsEmpty)
                    await transport.WriteAsync(chunk, cancellationToken);
            }
            while (!data.IsEmpty);
            await transport.FlushAsync(cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task WriteControlAsync(ushort type, uint first, uint second, CancellationToken cancellationToken)
    {
        var frame = new byte[SpdyFrames.HeaderLength + 8];
        SpdyFrames.WriteControlHeader(frame, type, 0, type == SpdyFrames.Ping ? 4 : 8);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(8), first);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(12), second);
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            await transport.WriteAsync(frame.AsMemory(0, type == SpdyFrames.Ping ? 12 : 16), cancellationToken);
            await transport.FlushAsync(cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Reads frames until the peer closes the connection (or says GOAWAY), handing data and stream ends to
    /// <paramref name="receiver"/>. Streams still waiting for a reply then fail.
    /// </summary>
    public async Task RunAsync(ISpdyReceiver receiver, CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _reader, 1, 0) != 0)
            throw new InvalidOperationException("a SPDY connection has one reader");
        var header = new byte[SpdyFrames.HeaderLength];
        var payload = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (await ReadHeaderAsync(header, cancellationToken))
            {
                var frame = SpdyFrames.FrameHeader.Parse(header);
                if (frame.Length > payload.Length)
                {
                    ArrayPool<byte>.Shared.Return(payload);
                    payload = ArrayPool<byte>.Shared.Rent(frame.Length);
                }
                var body = payload.AsMemory(0, frame.Length);
                await transport.ReadExactlyAsync(body, cancellationToken);
                if (!frame.IsControl)
                {
                    if (_streams.TryGetValue(frame.StreamId, out var stream))
                    {
                        if (!body.IsEmpty)
                            await receiver.DataAsync(stream, body, cancellationToken);
                        if ((frame.Flags & SpdyFrames.Fin) != 0)
                            await EndStreamAsync(receiver, stream, why: null, cancellationToken);
                    }
                    continue; // data for a stream we do not know: dropped
                }
                if (frame.Version != SpdyFrames.Version)
                    throw new InvalidDataException($"SPDY control frame of version {frame.Version}, not {SpdyFrames.Version}");
                if (!await ControlAsync(frame, body, receiver, cancellationToken))
                    return;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(payload);
            _decompressor.Dispose();
            Volatile.Write(ref _reader, 2);
            foreach (var stream in _streams.Values)
                stream.OnRemoteClosed("the SPDY connection ended before the stream was answered");
        }
    }

    /// <summary>One control frame; false when the session is over (GOAWAY).</summary>
    private async Task<bool> ControlAsync(SpdyFrames.FrameHeader frame, ReadOnlyMemory<byte> body, ISpdyReceiver receiver, CancellationToken cancellationToken)
    {
        switch (frame.Type)
        {
            case SpdyFrames.SynReply:
                {
                    var headers = HeaderBlock.Decode(_decompressor.Process(body.Span[4..]));
                    if (_streams.TryGetValue(SpdyFrames.StreamIdAt(body.Span), out var stream))
                    {
                        stream.OnReply(headers);
                        if ((frame.Flags & SpdyFrames.Fin) != 0)
                            await EndStreamAsync(receiver, stream, why: null, cancellationToken);
                    }
                    break;
                }
            case SpdyFrames.Headers:
                _decompressor.Process(body.Span[4..]);
                break;
            case SpdyFrames.SynStream:
                // The peer opening a stream: not part of Kubernetes' protocols. Read (for zlib's sake) and refused.
                _decompressor.Process(body.Span[10..]);
                await WriteControlAsync(SpdyFrames.RstStream, SpdyFrames.StreamIdAt(body.Span), SpdyFrames.RefusedStream, cancellationToken);
                break;
            case SpdyFrames.RstStream:
                if (_streams.TryGetValue(SpdyFrames.StreamIdAt(body.Span), out var reset))
                    await EndStreamAsync(receiver, reset, $"the peer reset the stream (status {BinaryPrimitives.ReadUInt32BigEndian(body.Span[4..])})", cancellationToken);
                break;
            case SpdyFrames.Ping:
                await WriteControlAsync(SpdyFrames.Ping, BinaryPrimitives.ReadUInt32BigEndian(body.Span), 0, cancellationToken);
                break;
            case SpdyFrames.GoAway:
                return false;
            default:
                break; // SETTINGS, WINDOW_UPDATE and anything newer: no flow control here
        }
        return true;
    }

    private static async Task EndStreamAsync(ISpdyReceiver receiver, SpdyStream stream, string? why, CancellationToken cancellationToken)
    {
        if (stream.RemoteClosed)
            return;
        stream.OnRemoteClosed(why);
        await receiver.ClosedAsync(stream, cancellationToken);
    }

    /// <summary>The next frame's header; false at a clean end of the connection (between frames).</summary>
    private async Task<bool> ReadHeaderAsync(byte[] header, CancellationToken cancellationToken)
    {
        var read = 0;
        while (read < header.Length)
        {
            var n = await transport.ReadAsync(header.AsMemory(read), cancellationToken);
            if (n == 0)
                return read == 0 ? false : throw new EndOfStreamException("the SPDY connection ended inside a frame header");
            read += n;
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        await transport.DisposeAsync(); // ends a running reader
        if (Interlocked.CompareExchange(ref _reader, 2, 0) == 0)
            _decompressor.Dispose();
        await _writeLock.WaitAsync();
        _compressor.Dispose();
    }
}
