using System.Runtime.InteropServices;
using Kybernet.Linux.Interop;

namespace Kybernet.Linux.Io;

/// <summary>
/// A reusable gather list (an iovec array in native memory) of slices of <see cref="NativeBuffer"/>s, for one
/// vectored write (<see cref="Tun.TunQueue.Write(IoVectors)"/>). Clear, add slices in order, write.
/// </summary>
public sealed unsafe class IoVectors : IDisposable
{
    private Libc.IoVec* _vectors;

    public IoVectors(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1024); // UIO_MAXIOV
        Capacity = capacity;
        _vectors = (Libc.IoVec*)NativeMemory.AllocZeroed((nuint)capacity, (nuint)sizeof(Libc.IoVec));
    }

    public int Capacity { get; }

    public int Count { get; private set; }

    /// <summary>The total length of the slices added since the last <see cref="Clear"/>.</summary>
    public int TotalLength { get; private set; }

    public void Clear()
    {
        Count = 0;
        TotalLength = 0;
    }

    public void Add(NativeBuffer buffer, int offset, int length)
    {
        if (Count == Capacity)
            throw new InvalidOperationException($"an iovec list holds at most {Capacity} slices");
        _vectors[Count++] = new Libc.IoVec { Base = buffer.At(offset, length), Length = (nuint)length };
        TotalLength += length;
    }

    internal Libc.IoVec* Pointer => _vectors;

    public void Dispose()
    {
        var p = _vectors;
        _vectors = null;
        if (p is not null)
            NativeMemory.Free(p);
    }
}
