using System.Buffers.Binary;
using Kybernet.Linux;
using Kybernet.Linux.Io;
using Kybernet.Linux.Tun;
using Kybernet.Net;
using Kybernet.Overlay.Packets;

namespace Kybernet.Overlay.Backends;

/// <summary>
/// The udp backend's data path, flannel's proxy with the offloads of a modern userspace tunnel: every UDP datagram
/// on the wire still carries exactly one whole inner IP packet to port 8285 of the node owning its destination
/// (wire compatible with flannel), but the work per packet is batched on both sides.
///
/// TUN -> UDP (thread "kyb-udp-send"): the TUN has a virtio-net header and TSO4 + checksum offload, so one read
/// returns a TCP super-packet of up to 64 KiB. <see cref="TcpSegmenter"/> cuts it into MTU-sized packets (writing
/// only their headers; payloads stay in the read buffer), other packets get their partial checksum finished, and
/// everything read in one wake-up (up to <see cref="ReadSlots"/> reads) leaves in one sendmmsg, each super-packet
/// as UDP GSO trains (UDP_SEGMENT) so the kernel, not we, makes the datagrams.
///
/// UDP -> TUN (thread "kyb-udp-recv"): the socket has UDP_GRO, so one recvmmsg returns batches of datagrams in
/// big buffers plus their size. Each datagram is checked (IPv4, total length = datagram) and given to
/// <see cref="TcpCoalescer"/>, which merges in-order segments of a flow back into a GSO super-packet written to
/// the TUN with one writev (header + payload slices, no copy); anything else is written as it came.
///
/// Both threads block in poll (with a <see cref="StopSignal"/>) only when there is nothing to do; the lease
/// table is an immutable snapshot read once per batch; every buffer is native memory allocated up front, so the
/// steady path allocates nothing. Packets for unknown subnets, and datagrams that are not IPv4 packets, are
/// dropped and counted.
/// </summary>
public sealed class UdpProxy : IDisposable
{
    /// <summary>TUN reads gathered into one sendmmsg at most.</summary>
    public const int ReadSlots = 8;
    /// <summary>recvmmsg messages per call (each up to 64 KiB with UDP_GRO).</summary>
    public const int ReceiveSlots = 8;

    private readonly TunQueue _tun;
    private readonly UdpSocket _socket;
    private readonly StopSignal _stop = new();
    private readonly Sender _sender;
    private readonly Receiver _receiver;
    private readonly Thread _sendThread;
    private readonly Thread _receiveThread;
    private UdpLeaseTable _table = UdpLeaseTable.Empty;
    private int _disposed;

    /// <summary>Starts both threads over <paramref name="tun"/> (opened with a virtio-net header) and <paramref name="socket"/>; the proxy owns neither.</summary>
    public UdpProxy(TunQueue tun, UdpSocket socket, int mtu)
    {
        _tun = tun;
        _socket = socket;
        Mtu = mtu;
        _sender = new Sender(this);
        _receiver = new Receiver(this);
        _sendThread = new Thread(_sender.Run, maxStackSize: 256 * 1024) { IsBackground = true, Name = "kyb-udp-send" };
        _receiveThread = new Thread(_receiver.Run, maxStackSize: 256 * 1024) { IsBackground = true, Name = "kyb-udp-recv" };
        _sendThread.Start();
        _receiveThread.Start();
    }

    public int Mtu { get; }

    /// <summary>The snapshot the TUN side routes with; setting it swaps it atomically.</summary>
    public UdpLeaseTable Table
    {
        get => Volatile.Read(ref _table);
        set => Volatile.Write(ref _table, value ?? throw new ArgumentNullException(nameof(value)));
    }

    public UdpProxyCounters Counters => new(
        Volatile.Read(ref _sender.Sent), Volatile.Read(ref _receiver.Received), Volatile.Read(ref _sender.DroppedUnknown),
        Volatile.Read(ref _sender.DroppedMalformed) + Volatile.Read(ref _receiver.DroppedMalformed), Volatile.Read(ref _sender.SendErrors),
        Volatile.Read(ref _sender.Segmented), Volatile.Read(ref _receiver.Coalesced), Volatile.Read(ref _receiver.TunWrites));

    /// <summary>What stopped a data path thread, if one stopped on its own (an unexpected kernel error).</summary>
    public Exception? Fault => Volatile.Read(ref _sender.Fault) ?? Volatile.Read(ref _receiver.Fault);

    /// <summary>Faults when a data path thread stops on its own; never completes otherwise.</summary>
    public Task Failure => _failure.Task;

    private readonly TaskCompletionSource _failure = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private void Failed(Exception e) => _failure.TrySetException(new BackendException($"udp: the data path stopped: {e.Message}"));

    /// <summary>Stops both threads, waits for them, and frees the buffers; the TUN and the socket are left to their owner.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _stop.Set();
        _sendThread.Join();
        _receiveThread.Join();
        _sender.Dispose();
        _receiver.Dispose();
        _stop.Dispose();
    }

    /// <summary>TUN -> UDP: read, route, segment, send in batches.</summary>
    private sealed class Sender(UdpProxy proxy) : IDisposable
    {
        private const int SlotSize = VirtioNetHeader.Size + 65536 + 54; // a 64 KiB super-packet, rounded to 64 bytes
        private const int HeaderStride = 128;     // IPv4 (<= 60) + TCP (<= 60) headers of one segment
        private const int HeaderCapacity = 2048;  // segment headers per batch: one 64 KiB packet down to a 32-byte MSS
        private const int MaxUdpPayload = 65507;  // 65535 - IPv4 - UDP: the most one GSO send can carry
        private const int MaxSegmentsPerSend = 64; // UDP_MAX_SEGMENTS on older kernels

        private readonly NativeBuffer _reads = new(ReadSlots * SlotSize);
        private readonly NativeBuffer _headers = new(HeaderCapacity * HeaderStride);
        private readonly SegmentSlice[] _segments = new SegmentSlice[HeaderCapacity];
        private readonly UdpSendBatch _batch = new(1024, 2 * HeaderCapacity + ReadSlots);
        private int _headersUsed;
        private long _pending;
        public long Sent, DroppedUnknown, DroppedMalformed, SendErrors, Segmented;
        public Exception? Fault;

        public void Run()
        {
            var tun = proxy._tun;
            try
            {
                int slot = 0;
                var table = proxy.Table;
                while (true)
                {
                    if (!tun.TryRead(_reads.Slice(slot * SlotSize, SlotSize), out int n))
                    {
                        Send();
                        slot = 0;
                        if (!tun.WaitReadable(proxy._stop))
                            return;
                        table = proxy.Table; // one snapshot per wake-up
                        continue;
                    }
                    Forward(table, slot * SlotSize, n);
                    if (++slot == ReadSlots)
                    {
                        Send();
                        slot = 0;
                    }
                }
            }
            catch (Exception e) when (!proxy._stop.IsSet)
            {
                Volatile.Write(ref Fault, e);
                proxy.Failed(e);
            }
        }

        private void Forward(UdpLeaseTable table, int start, int length)
        {
            var read = _reads.Slice(start, length);
            if (length < VirtioNetHeader.Size + 20 || read[VirtioNetHeader.Size] >> 4 != 4)
            {
                Count(ref DroppedMalformed, 1); // IPv6 and the like: the overlay is IPv4
                return;
            }
            var vnet = VirtioNetHeader.Read(read);
            int offset = start + VirtioNetHeader.Size;
            var packet = read[VirtioNetHeader.Size..];
            var peer = table.Find(Ipv4Address.Read(packet[16..20]));
            if (peer is not UdpPeer node)
            {
                Count(ref DroppedUnknown, 1);
                return;
            }
            if (vnet.GsoKind == VirtioNetHeader.GsoTcpV4 && vnet.GsoSize > 0)
            {
                ForwardSegments(node, packet, offset, vnet.GsoSize);
                return;
            }
            if (vnet.GsoKind != VirtioNetHeader.GsoNone
                || (vnet.NeedsChecksum && !InternetChecksum.CompletePartial(packet, vnet.ChecksumStart, vnet.ChecksumOffset)))
            {
                Count(ref DroppedMalformed, 1);
                return;
            }
            if (!_batch.HasRoom(1, 1))
                Send();
            _batch.Begin(node.Address.Value, node.Port);
            _batch.Add(_reads, offset, packet.Length);
            _batch.End();
            _pending++;
        }

        private void ForwardSegments(UdpPeer node, ReadOnlySpan<byte> packet, int offset, int mss)
        {
            int count = TcpSegmenter.Count(packet, mss);
            if (count < 0 || count > HeaderCapacity)
            {
                Count(ref DroppedMalformed, 1);
                return;
            }
            int ihl = (packet[0] & 0x0f) * 4;
            int segmentSize = ihl + (packet[ihl + 12] >> 4) * 4 + mss; // every segment but the last is this long
            int perSend = Math.Clamp(MaxUdpPayload / segmentSize, 1, MaxSegmentsPerSend);
            int sends = (count + perSend - 1) / perSend;
            if (_headersUsed + count > HeaderCapacity || !_batch.HasRoom(sends, 2 * count))
                Send(); // the packets before this one go now; this one's read slot stays untouched
            int first = _headersUsed;
            count = TcpSegmenter.Segment(packet, mss, _headers.Span[(first * HeaderStride)..], HeaderStride, _segments);
            if (count < 0)
            {
                Count(ref DroppedMalformed, 1);
                return;
            }
            _headersUsed += count;
            for (int i = 0; i < count; i += perSend)
            {
                int n = Math.Min(perSend, count - i);
                _batch.Begin(node.Address.Value, node.Port, n > 1 ? segmentSize : 0);
                for (int j = i; j < i + n; j++)
                {
                    var s = _segments[j];
                    _batch.Add(_headers, first * HeaderStride + s.HeaderOffset, s.HeaderLength);
                    _batch.Add(_reads, offset + s.PayloadOffset, s.PayloadLength);
                }
                _batch.End();
            }
            _pending += count;
            if (count > 1)
                Count(ref Segmented, 1);
        }

        private void Send()
        {
            if (_batch.Count > 0)
            {
                Count(ref Sent, _pending); // before: an answer may come back before sendmmsg returns
                var result = proxy._socket.Send(_batch);
                if (result.Failed > 0)
                    Count(ref SendErrors, result.Failed);
            }
            _batch.Clear();
            _headersUsed = 0;
            _pending = 0;
        }

        public void Dispose()
        {
            _batch.Dispose();
            _headers.Dispose();
            _reads.Dispose();
        }
    }

    /// <summary>UDP -> TUN: receive in batches, split, coalesce, write.</summary>
    private sealed class Receiver : ITunPacketSink, IDisposable
    {
        private readonly UdpProxy _proxy;
        private readonly UdpReceiveBatch _batch = new(ReceiveSlots);
        private readonly NativeBuffer _vnet = new(64);
        private readonly IoVectors _vectors = new(TcpCoalescer.MaxSegments + 2);
        private readonly TcpCoalescer _coalescer;
        public long Received, DroppedMalformed, Coalesced, TunWrites;
        public Exception? Fault;

        public Receiver(UdpProxy proxy)
        {
            _proxy = proxy;
            _coalescer = new TcpCoalescer(this);
        }

        public void Run()
        {
            var socket = _proxy._socket;
            try
            {
                while (true)
                {
                    int messages = socket.Receive(_batch);
                    if (messages == 0)
                    {
                        if (!socket.WaitReadable(_proxy._stop))
                            return;
                        continue;
                    }
                    var arena = _batch.Buffer.Span;
                    long malformed = 0;
                    for (int m = 0; m < messages; m++)
                    {
                        int start = _batch.Offset(m), length = _batch.Length(m), size = _batch.SegmentSize(m);
                        if (_batch.Truncated(m) || size <= 0)
                        {
                            malformed++;
                            continue;
                        }
                        for (int at = 0; at < length; at += size)
                        {
                            int n = Math.Min(size, length - at);
                            var datagram = arena.Slice(start + at, n);
                            if (n < 20 || datagram[0] >> 4 != 4 || BinaryPrimitives.ReadUInt16BigEndian(datagram[2..]) != n)
                            {
                                malformed++;
                                continue;
                            }
                            Count(ref Received, 1); // before the write: the answer may come back at once
                            _coalescer.Add(arena, start + at, n);
                        }
                    }
                    _coalescer.Flush(arena);
                    if (malformed > 0)
                        Count(ref DroppedMalformed, malformed);
                    Volatile.Write(ref Coalesced, _coalescer.SuperPackets);
                }
            }
            catch (Exception e) when (!_proxy._stop.IsSet)
            {
                Volatile.Write(ref Fault, e);
                _proxy.Failed(e);
            }
        }

        public void Write(VirtioNetHeader header, int headerOffset, int headerLength, ReadOnlySpan<PayloadSlice> payloads)
        {
            header.Write(_vnet.Span);
            _vectors.Clear();
            _vectors.Add(_vnet, 0, VirtioNetHeader.Size);
            _vectors.Add(_batch.Buffer, headerOffset, headerLength);
            foreach (var p in payloads)
                _vectors.Add(_batch.Buffer, p.Offset, p.Length);
            try
            {
                _proxy._tun.Write(_vectors);
                Count(ref TunWrites, 1);
            }
            catch (Exception e) when (e is LinuxException or IOException)
            {
                Count(ref DroppedMalformed, 1); // the kernel refused the packet (EINVAL): drop it, keep going
            }
        }

        public void Dispose()
        {
            _vectors.Dispose();
            _vnet.Dispose();
            _batch.Dispose();
        }
    }

    /// <summary>Counters have one writer each (their thread); readers use Volatile.Read.</summary>
    private static void Count(ref long counter, long by) => Volatile.Write(ref counter, counter + by);
}

/// <summary>
/// What the udp data path did since it started: inner packets handed to the kernel to send and received, why others were dropped, sends
/// the kernel refused, TCP super-packets cut into segments on the way out, and super-packets re-assembled (GRO)
/// and TUN writes on the way in.
/// </summary>
public readonly record struct UdpProxyCounters(
    long Sent, long Received, long DroppedUnknownSubnet, long DroppedMalformed, long SendErrors,
    long SegmentedSuperPackets = 0, long CoalescedSuperPackets = 0, long TunWrites = 0);
