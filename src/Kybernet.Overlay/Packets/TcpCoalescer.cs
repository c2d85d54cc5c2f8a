using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Kybernet.Linux.Tun;

namespace Kybernet.Overlay.Packets;

/// <summary>A run of bytes in the coalescer's arena.</summary>
public readonly record struct PayloadSlice(int Offset, int Length);

/// <summary>Where the coalescer's packets go (a TUN with a virtio-net header, or a test).</summary>
public interface ITunPacketSink
{
    /// <summary>
    /// One packet: <paramref name="header"/>, then arena[headerOffset, +headerLength], then each payload slice
    /// of the same arena in order. A plain packet is all in the first slice and has no payload slices.
    /// </summary>
    void Write(VirtioNetHeader header, int headerOffset, int headerLength, ReadOnlySpan<PayloadSlice> payloads);
}

/// <summary>
/// Userspace GRO for IPv4 TCP: consecutive in-order segments of one flow, received as separate packets, are
/// handed on as one GSO super-packet (virtio GSO_TCPV4, the segment size, and NEEDS_CSUM with the pseudo-header
/// sum in the TCP checksum field), so the TUN gets one write per flow batch instead of one per packet and the
/// kernel stack sees what GRO on a NIC would give it. Packets join a flow's batch under the kernel's rules
/// (tcp_gro_receive): same addresses and ports, IP header without options, same TOS, TTL and DF, same TCP
/// header apart from sequence number, checksum and PSH (ACK number, window and options byte for byte), flags
/// only ACK (PSH allowed on the last), sequence contiguous, every segment the size of the first but the last;
/// at most <see cref="MaxSegments"/> segments and 65535 bytes. Anything else is written as it came, after the
/// batch of its own flow, so no flow is reordered. Packets are identified by their place in an arena the
/// caller owns (its receive buffers); nothing is copied and nothing allocated. Call <see cref="Flush"/> before
/// the arena is reused.
/// </summary>
public sealed class TcpCoalescer(ITunPacketSink sink)
{
    public const int MaxFlows = 8;
    public const int MaxSegments = 64;

    private struct Flow
    {
        public bool Active;
        public bool Closed; // a short or PSH segment ended the batch
        public bool Push;
        public ulong Addresses;
        public uint Ports;
        public int HeaderOffset, IpHeaderLength, HeaderLength, SegmentSize, Payload, Count;
        public uint NextSeq;
    }

    private readonly Flow[] _flows = new Flow[MaxFlows];
    private readonly PayloadSlice[] _slices = new PayloadSlice[MaxFlows * MaxSegments];
    private int _active;

    /// <summary>Packets that were merged into another one's super-packet (not counting the first of each).</summary>
    public long Merged { get; private set; }

    /// <summary>Super-packets written (batches of two or more segments).</summary>
    public long SuperPackets { get; private set; }

    /// <summary>Takes the packet at arena[offset, +length] (one whole IPv4 packet, checked by the caller).</summary>
    public void Add(Span<byte> arena, int offset, int length)
    {
        var p = arena.Slice(offset, length);
        if (!Ipv4Tcp.TryParse(p, out int ihl, out int thl))
        {
            WritePlain(offset, length); // not TCP: nothing to keep in order with
            return;
        }
        ulong addresses = MemoryMarshal.Read<ulong>(p[12..]);
        uint ports = MemoryMarshal.Read<uint>(p[ihl..]);
        int hl = ihl + thl;
        int payload = length - hl;
        byte flags = p[ihl + Ipv4Tcp.FlagsOffset];
        bool candidate = ihl == 20 && payload > 0 && (flags & ~Ipv4Tcp.Psh) == Ipv4Tcp.Ack;

        int index = Find(addresses, ports);
        if (index >= 0)
        {
            ref var flow = ref _flows[index];
            if (candidate && CanAppend(ref flow, arena, p, hl, payload))
            {
                _slices[index * MaxSegments + flow.Count] = new PayloadSlice(offset + hl, payload);
                flow.Count++;
                flow.Payload += payload;
                flow.NextSeq += (uint)payload;
                Merged++;
                if ((flags & Ipv4Tcp.Psh) != 0)
                    flow.Push = flow.Closed = true;
                else if (payload < flow.SegmentSize)
                    flow.Closed = true;
                return;
            }
            FlushFlow(arena, index);
        }
        if (!candidate || (flags & Ipv4Tcp.Psh) != 0)
        {
            WritePlain(offset, length);
            return;
        }
        index = FreeSlot(arena);
        _flows[index] = new Flow
        {
            Active = true,
            Addresses = addresses,
            Ports = ports,
            HeaderOffset = offset,
            IpHeaderLength = ihl,
            HeaderLength = hl,
            SegmentSize = payload,
            Payload = payload,
            Count = 1,
            NextSeq = BinaryPrimitives.ReadUInt32BigEndian(p[(ihl + Ipv4Tcp.SeqOffset)..]) + (uint)payload,
        };
        _slices[index * MaxSegments] = new PayloadSlice(offset + hl, payload);
        _active++;
    }

    /// <summary>Writes every pending batch; the arena may be reused afterwards.</summary>
    public void Flush(Span<byte> arena)
    {
        for (int i = 0; _active > 0 && i < MaxFlows; i++)
            if (_flows[i].Active)
                FlushFlow(arena, i);
    }

    private int Find(ulong addresses, uint ports)
    {
        if (_active == 0)
            return -1;
        for (int i = 0; i < MaxFlows; i++)
            if (_flows[i].Active && _flows[i].Addresses == addresses && _flows[i].Ports == ports)
                return i;
        return -1;
    }

    private int FreeSlot(Span<byte> arena)
    {
        if (_active == MaxFlows)
            Flush(arena); // more flows at once than slots: hand them all on, rare
        for (int i = 0; i < MaxFlows; i++)
            if (!_flows[i].Active)
                return i;
        throw new InvalidOperationException("no free flow slot after a flush");
    }

    private static bool CanAppend(ref Flow flow, Span<byte> arena, ReadOnlySpan<byte> p, int hl, int payload)
    {
        if (flow.Closed || hl != flow.HeaderLength || flow.Count == MaxSegments || payload > flow.SegmentSize
            || flow.HeaderLength + flow.Payload + payload > ushort.MaxValue)
            return false;
        var first = arena.Slice(flow.HeaderOffset, hl);
        int ihl = flow.IpHeaderLength;
        if (p[1] != first[1] || p[Ipv4Tcp.FragmentOffset] != first[Ipv4Tcp.FragmentOffset] || p[Ipv4Tcp.TtlOffset] != first[Ipv4Tcp.TtlOffset])
            return false;
        if (BinaryPrimitives.ReadUInt32BigEndian(p[(ihl + Ipv4Tcp.SeqOffset)..]) != flow.NextSeq)
            return false;
        // ACK number (8-11), data offset and flags but PSH (12-13), window (14-15), options (20..): the same.
        var a = p[ihl..hl];
        var b = first[ihl..hl];
        return a.Slice(Ipv4Tcp.AckOffset, 4).SequenceEqual(b.Slice(Ipv4Tcp.AckOffset, 4))
            && a[Ipv4Tcp.DataOffsetByte] == b[Ipv4Tcp.DataOffsetByte]
            && (a[Ipv4Tcp.FlagsOffset] & ~Ipv4Tcp.Psh) == b[Ipv4Tcp.FlagsOffset]
            && a.Slice(Ipv4Tcp.WindowOffset, 2).SequenceEqual(b.Slice(Ipv4Tcp.WindowOffset, 2))
            && a[20..].SequenceEqual(b[20..]);
    }

    private void FlushFlow(Span<byte> arena, int index)
    {
        ref var flow = ref _flows[index];
        flow.Active = false;
        _active--;
        if (flow.Count == 1)
        {
            WritePlain(flow.HeaderOffset, flow.HeaderLength + flow.Payload); // untouched, checksums as they came
            return;
        }
        int ihl = flow.IpHeaderLength;
        int total = flow.HeaderLength + flow.Payload;
        var h = arena.Slice(flow.HeaderOffset, flow.HeaderLength);
        BinaryPrimitives.WriteUInt16BigEndian(h[Ipv4Tcp.TotalLengthOffset..], (ushort)total);
        InternetChecksum.UpdateIpv4Header(h, ihl);
        if (flow.Push)
            h[ihl + Ipv4Tcp.FlagsOffset] |= Ipv4Tcp.Psh;
        // CHECKSUM_PARTIAL's convention: the field holds the folded pseudo-header sum, not complemented.
        ushort pseudo = InternetChecksum.Fold(InternetChecksum.PseudoHeader(h, Ipv4Tcp.ProtocolTcp, total - ihl));
        BinaryPrimitives.WriteUInt16BigEndian(h[(ihl + Ipv4Tcp.ChecksumOffset)..], pseudo);
        var header = new VirtioNetHeader(VirtioNetHeader.FlagNeedsChecksum, VirtioNetHeader.GsoTcpV4,
            (ushort)flow.HeaderLength, (ushort)flow.SegmentSize, (ushort)ihl, Ipv4Tcp.ChecksumOffset);
        SuperPackets++;
        sink.Write(header, flow.HeaderOffset, flow.HeaderLength, _slices.AsSpan(index * MaxSegments, flow.Count));
    }

    private void WritePlain(int offset, int length) =>
        sink.Write(VirtioNetHeader.None, offset, length, ReadOnlySpan<PayloadSlice>.Empty);
}
