using System.Runtime.InteropServices;

namespace Kybernet.Linux.Io;

/// <summary>
/// A fixed block of native memory (64-byte aligned, zeroed) for data paths: the kernel reads and writes it
/// through iovecs, so it must not move, and it lives outside the GC heap. Free it only after every thread that
/// uses it has stopped.
/// </summary>
public sealed unsafe class NativeBuffer : IDisposable
{
    private byte* _pointer;

    public NativeBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        Length = length;
        _pointer = (byte*)NativeMemory.AlignedAlloc((nuint)length, 64);
        NativeMemory.Clear(_pointer, (nuint)length);
    }

    public int Length { get; }

    public Span<byte> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_pointer is null, this);
            return new Span<byte>(_pointer, Length);
        }
    }

    public Span<byte> Slice(int offset, int length) => Span.Slice(offset, length);

    /// <summary>The address of byte <paramref name="offset"/>, after checking that [offset, offset + length) is inside.</summary>
    internal byte* At(int offset, int length)
    {
        if ((uint)offset > (uint)Length || (uint)length > (uint)(Length - offset))
            throw new ArgumentOutOfRangeException(nameof(offset), $"[{offset}, +{length}) is outside a buffer of {Length} bytes");
        ObjectDisposedException.ThrowIf(_pointer is null, this);
        return _pointer + offset;
    }

    public void Dispose()
    {
        var p = _pointer;
        _pointer = null;
        if (p is not null)
            NativeMemory.AlignedFree(p);
    }
}
