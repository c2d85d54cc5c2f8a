using System.Runtime.InteropServices;
using Kybernet.Linux.Interop;

namespace Kybernet.Linux.Io;

/// <summary>
/// A reusable batch of outgoing UDP messages for one sendmmsg, all in native memory: per message a destination,
/// a gather list of <see cref="NativeBuffer"/> slices and, for a GSO train, a UDP_SEGMENT control message. Build
/// a message with <see cref="Begin"/>, <see cref="Add"/>..., <see cref="End"/>; send with
/// <see cref="UdpSocket.Send"/>; <see cref="Clear"/> to reuse. Adding allocates nothing.
/// </summary>
public sealed unsafe class UdpSendBatch : IDisposable
{
    private byte* _memory;
    private readonly Libc.MMsgHdr* _messages;
    private readonly Libc.IoVec* _vectors;
    private readonly byte* _control;
    private readonly Libc.SockAddrIn* _addresses;
    private bool _open;

    /// <param name="maxMessages">How many messages one batch holds (sendmmsg takes at most 1024).</param>
    /// <param name="maxVectors">How many slices all messages of one batch hold together.</param>
    public UdpSendBatch(int maxMessages, int maxVectors)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxMessages);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessages, 1024);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxVectors);
        MaxMessages = maxMessages;
        MaxVectors = maxVectors;
        nuint size = (nuint)(maxMessages * (sizeof(Libc.MMsgHdr) + Libc.CmsgSpaceInt + sizeof(Libc.SockAddrIn)) + maxVectors * sizeof(Libc.IoVec));
        _memory = (byte*)NativeMemory.AlignedAlloc(size, 64);
        NativeMemory.Clear(_memory, size);
        _messages = (Libc.MMsgHdr*)_memory;
        _vectors = (Libc.IoVec*)(_messages + maxMessages);
        _control = (byte*)(_vectors + maxVectors);
        _addresses = (Libc.SockAddrIn*)(_control + maxMessages * Libc.CmsgSpaceInt);
    }

    public int MaxMessages { get; }
    public int MaxVectors { get; }

    /// <summary>Complete messages in the batch.</summary>
    public int Count { get; private set; }

    /// <summary>Slices used by the batch, the open message's included.</summary>
    public int VectorCount { get; private set; }

    /// <summary>Whether <paramref name="messages"/> more messages with <paramref name="vectors"/> more slices fit.</summary>
    public bool HasRoom(int messages, int vectors) =>
        Count + messages <= MaxMessages && VectorCount + vectors <= MaxVectors;

    /// <summary>
    /// Opens a message to <paramref name="address"/>:<paramref name="port"/> (host byte order). With
    /// <paramref name="segmentSize"/> &gt; 0 the message is a GSO train: the kernel sends it as datagrams of that
    /// many bytes, the last one possibly shorter.
    /// </summary>
    public void Begin(uint address, ushort port, int segmentSize = 0)
    {
        if (_open)
            throw new InvalidOperationException("the previous message is still open");
        if (Count == MaxMessages)
            throw new InvalidOperationException($"a send batch holds at most {MaxMessages} messages");
        ArgumentOutOfRangeException.ThrowIfNegative(segmentSize);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(segmentSize, ushort.MaxValue);
        _addresses[Count] = UdpSocket.SockAddr(address, port);
        ref var header = ref _messages[Count].Header;
        header.Name = &_addresses[Count];
        header.NameLength = (uint)sizeof(Libc.SockAddrIn);
        header.Iov = _vectors + VectorCount;
        header.IovLength = 0;
        header.Flags = 0;
        if (segmentSize > 0)
        {
            byte* control = _control + Count * Libc.CmsgSpaceInt;
            var cmsg = (Libc.CMsgHdr*)control;
            cmsg->Length = (nuint)(Libc.CmsgHeaderSize + sizeof(ushort)); // CMSG_LEN(sizeof(__u16))
            cmsg->Level = Libc.SOL_UDP;
            cmsg->Type = Libc.UDP_SEGMENT;
            *(ushort*)(control + Libc.CmsgHeaderSize) = (ushort)segmentSize;
            header.Control = control;
            header.ControlLength = Libc.CmsgSpaceInt;
        }
        else
        {
            header.Control = null;
            header.ControlLength = 0;
        }
        _open = true;
    }

    /// <summary>Appends a slice to the open message.</summary>
    public void Add(NativeBuffer buffer, int offset, int length)
    {
        if (!_open)
            throw new InvalidOperationException("no message is open");
        if (VectorCount == MaxVectors)
            throw new InvalidOperationException($"a send batch holds at most {MaxVectors} slices");
        _vectors[VectorCount++] = new Libc.IoVec { Base = buffer.At(offset, length), Length = (nuint)length };
        _messages[Count].Header.IovLength++;
    }

    public void End()
    {
        if (!_open)
            throw new InvalidOperationException("no message is open");
        _open = false;
        Count++;
    }

    public void Clear()
    {
        Count = 0;
        VectorCount = 0;
        _open = false;
    }

    internal Libc.MMsgHdr* Messages => _messages;

    public void Dispose()
    {
        var p = _memory;
        _memory = null;
        if (p is not null)
            NativeMemory.AlignedFree(p);
    }
}
