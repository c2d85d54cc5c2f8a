using System.Runtime.InteropServices;
using Kybernet.Linux.Interop;

namespace Kybernet.Linux.Io;

/// <summary>
/// Reusable receive slots for one recvmmsg: <see cref="Capacity"/> slots of <see cref="SlotSize"/> bytes in one
/// <see cref="NativeBuffer"/>, each with room for the UDP_GRO control message. After
/// <see cref="UdpSocket.Receive"/>, message i is at <see cref="Offset"/>(i) in <see cref="Buffer"/>,
/// <see cref="Length"/>(i) bytes long, made of datagrams of <see cref="SegmentSize"/>(i) bytes (the last one
/// possibly shorter; equal to the length when the kernel did not coalesce).
/// </summary>
public sealed unsafe class UdpReceiveBatch : IDisposable
{
    private byte* _memory;
    private readonly Libc.MMsgHdr* _messages;
    private readonly Libc.IoVec* _vectors;
    private readonly byte* _control;
    private readonly int[] _lengths;
    private readonly int[] _segmentSizes;
    private readonly bool[] _truncated;

    /// <param name="slots">Messages per recvmmsg.</param>
    /// <param name="slotSize">Bytes per message; 65536 holds anything UDP_GRO can coalesce.</param>
    public UdpReceiveBatch(int slots, int slotSize = 65536)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slots);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(slots, 1024);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(slotSize);
        Capacity = slots;
        SlotSize = slotSize;
        Buffer = new NativeBuffer(slots * slotSize);
        nuint size = (nuint)(slots * (sizeof(Libc.MMsgHdr) + sizeof(Libc.IoVec) + Libc.CmsgSpaceInt));
        _memory = (byte*)NativeMemory.AlignedAlloc(size, 64);
        NativeMemory.Clear(_memory, size);
        _messages = (Libc.MMsgHdr*)_memory;
        _vectors = (Libc.IoVec*)(_messages + slots);
        _control = (byte*)(_vectors + slots);
        for (int i = 0; i < slots; i++)
            _vectors[i] = new Libc.IoVec { Base = Buffer.At(i * slotSize, slotSize), Length = (nuint)slotSize };
        _lengths = new int[slots];
        _segmentSizes = new int[slots];
        _truncated = new bool[slots];
    }

    public int Capacity { get; }
    public int SlotSize { get; }

    /// <summary>The slots' memory.</summary>
    public NativeBuffer Buffer { get; }

    /// <summary>Messages received by the last <see cref="UdpSocket.Receive"/>.</summary>
    public int Count { get; private set; }

    public int Offset(int message) => Check(message) * SlotSize;

    public int Length(int message) => _lengths[Check(message)];

    public int SegmentSize(int message) => _segmentSizes[Check(message)];

    /// <summary>Whether the message was longer than a slot (the kernel cut it; the rest is lost).</summary>
    public bool Truncated(int message) => _truncated[Check(message)];

    private int Check(int message) =>
        (uint)message < (uint)Count ? message : throw new ArgumentOutOfRangeException(nameof(message));

    /// <summary>Resets what the kernel overwrites (control lengths, flags) before a recvmmsg.</summary>
    internal void Prepare()
    {
        for (int i = 0; i < Capacity; i++)
        {
            ref var header = ref _messages[i].Header;
            header.Name = null;
            header.NameLength = 0;
            header.Iov = _vectors + i;
            header.IovLength = 1;
            header.Control = _control + i * Libc.CmsgSpaceInt;
            header.ControlLength = Libc.CmsgSpaceInt;
            header.Flags = 0;
            _messages[i].Length = 0;
        }
    }

    /// <summary>Reads lengths and UDP_GRO segment sizes after a recvmmsg that returned <paramref name="count"/>.</summary>
    internal void Complete(int count)
    {
        Count = count;
        for (int i = 0; i < count; i++)
        {
            ref var header = ref _messages[i].Header;
            int length = (int)_messages[i].Length;
            int segment = length;
            if (header.ControlLength >= Libc.CmsgHeaderSize + sizeof(int))
            {
                var cmsg = (Libc.CMsgHdr*)header.Control;
                if (cmsg->Level == Libc.SOL_UDP && cmsg->Type == Libc.UDP_GRO)
                {
                    int size = *(int*)((byte*)header.Control + Libc.CmsgHeaderSize);
                    if (size > 0 && size < length)
                        segment = size;
                }
            }
            _lengths[i] = length;
            _segmentSizes[i] = segment;
            _truncated[i] = (header.Flags & Libc.MSG_TRUNC) != 0;
        }
    }

    internal Libc.MMsgHdr* Messages => _messages;

    public void Dispose()
    {
        var p = _memory;
        _memory = null;
        if (p is not null)
            NativeMemory.AlignedFree(p);
        Buffer.Dispose();
    }
}
