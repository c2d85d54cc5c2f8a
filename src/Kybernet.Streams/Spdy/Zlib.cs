using System.Runtime.InteropServices;

namespace Kybernet.Streams.Spdy;

/// <summary>
/// One direction of SPDY's header compression: a zlib stream (the system's libz) that lives as long as the connection,
/// seeded with <see cref="SpdyDictionary"/>, each header block compressed or decompressed with a sync flush so it can be
/// read on its own. .NET's own zlib streams take no preset dictionary, hence libz. Not thread-safe: one caller at a time.
/// </summary>
public sealed unsafe partial class Zlib : IDisposable
{
    private const string Lib = "libz.so.1";
    private const int SyncFlush = 2;
    private const int Ok = 0, StreamEnd = 1, NeedDictionary = 2, BufferError = -5;
    private const int StreamSize = 112; // sizeof(z_stream) on 64-bit Linux

    // z_stream's fields that we set or read, by offset (LP64).
    private const int NextIn = 0, AvailIn = 8, NextOut = 24, AvailOut = 32, Message = 48;

    private readonly byte* _stream;
    private readonly bool _compress;
    private bool _disposed;

    private Zlib(bool compress)
    {
        _compress = compress;
        _stream = (byte*)NativeMemory.AllocZeroed(StreamSize); // zlib keeps a pointer to it: it must never move
        var version = zlibVersion();
        var rc = compress ? deflateInit_(_stream, 9, version, StreamSize) : inflateInit_(_stream, version, StreamSize);
        if (rc != Ok)
        {
            NativeMemory.Free(_stream);
            throw new InvalidOperationException($"zlib {(compress ? "deflateInit" : "inflateInit")} failed ({rc})");
        }
        if (compress)
            fixed (byte* dictionary = SpdyDictionary.Bytes)
                Check(deflateSetDictionary(_stream, dictionary, (uint)SpdyDictionary.Bytes.Length), "deflateSetDictionary");
    }

    public static Zlib Compressor() => new(compress: true);

    public static Zlib Decompressor() => new(compress: false);

    /// <summary>Compresses (or decompresses) one header block, flushed so the peer can read it whole.</summary>
    public byte[] Process(ReadOnlySpan<byte> input)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var output = new byte[Math.Max(256, input.Length * (_compress ? 1 : 4))];
        var produced = 0;
        fixed (byte* inPtr = input)
        {
            *(byte**)(_stream + NextIn) = inPtr;
            *(uint*)(_stream + AvailIn) = (uint)input.Length;
            while (true)
            {
                if (produced == output.Length)
                    Array.Resize(ref output, output.Length * 2);
                int rc;
                fixed (byte* outPtr = &output[produced])
                {
                    *(byte**)(_stream + NextOut) = outPtr;
                    var room = (uint)(output.Length - produced);
                    *(uint*)(_stream + AvailOut) = room;
                    rc = _compress ? deflate(_stream, SyncFlush) : inflate(_stream, SyncFlush);
                    produced += (int)(room - *(uint*)(_stream + AvailOut));
                }
                if (rc == NeedDictionary && !_compress)
                {
                    fixed (byte* dictionary = SpdyDictionary.Bytes)
                        Check(inflateSetDictionary(_stream, dictionary, (uint)SpdyDictionary.Bytes.Length), "inflateSetDictionary");
                    continue;
                }
                if (rc is not (Ok or StreamEnd or BufferError))
                    Check(rc, _compress ? "deflate" : "inflate");
                // Done once all input is taken and the output did not fill up (nothing more is pending).
                if (*(uint*)(_stream + AvailIn) == 0 && produced < output.Length)
                    break;
                if (rc == BufferError && produced < output.Length)
                    break;
            }
        }
        return output[..produced];
    }

    private void Check(int rc, string call)
    {
        if (rc == Ok)
            return;
        var message = *(sbyte**)(_stream + Message) is var m && m != null ? new string(m) : $"code {rc}";
        throw new InvalidDataException($"zlib {call}: {message}");
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _ = _compress ? deflateEnd(_stream) : inflateEnd(_stream);
        NativeMemory.Free(_stream);
    }

    [LibraryImport(Lib)]
    private static partial byte* zlibVersion();

    [LibraryImport(Lib)]
    private static partial int deflateInit_(byte* stream, int level, byte* version, int streamSize);

    [LibraryImport(Lib)]
    private static partial int inflateInit_(byte* stream, byte* version, int streamSize);

    [LibraryImport(Lib)]
    private static partial int deflateSetDictionary(byte* stream, byte* dictionary, uint length);

    [LibraryImport(Lib)]
    private static partial int inflateSetDictionary(byte* stream, byte* dictionary, uint length);

    [LibraryImport(Lib)]
    private static partial int deflate(byte* stream, int flush);

    [LibraryImport(Lib)]
    private static partial int inflate(byte* stream, int flush);

    [LibraryImport(Lib)]
    private static partial int deflateEnd(byte* stream);

    [LibraryImport(Lib)]
    private static partial int inflateEnd(byte* stream);
}
