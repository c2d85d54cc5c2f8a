using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Kybernet.Linux;
using Kybernet.Linux.Tun;

namespace Kybernet.Overlay.Backends;

/// <summary>
/// The udp backend's data path, flannel's proxy: one loop reads IP packets from the TUN and sends each, whole,
/// in a UDP datagram to the node owning the destination's subnet; the other receives datagrams and writes them
/// into the TUN. The lease table is an immutable snapshot read without locks; buffers are rented once per loop,
/// so the steady path allocates nothing. Packets for unknown subnets, and datagrams that are not IPv4 packets,
/// are dropped and counted.
/// </summary>
public sealed class UdpProxy : IAsyncDisposable
{
    /// <summary>How many queued packets one wake-up of the TUN loop drains before waiting again.</summary>
    public const int Batch = 32;

    private const int MaxDatagram = 65536;
    private readonly TunQueue _tun;
    private readonly Socket _socket;
    private readonly int _mtu;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _tunToUdp;
    private readonly Task _udpToTun;
    private UdpLeaseTable _table = UdpLeaseTable.Empty;
    private long _sent, _received, _droppedUnknown, _droppedMalformed, _sendErrors;

    /// <summary>Starts both loops over <paramref name="tun"/> and <paramref name="socket"/> (bound already); the proxy owns neither.</summary>
    public UdpProxy(TunQueue tun, Socket socket, int mtu)
    {
        _tun = tun;
        _socket = socket;
        _mtu = mtu;
        _tunToUdp = Task.Run(TunToUdpAsync);
        _udpToTun = Task.Run(UdpToTunAsync);
    }

    /// <summary>The snapshot the TUN loop routes with; setting it swaps it atomically.</summary>
    public UdpLeaseTable Table
    {
        get => Volatile.Read(ref _table);
        set => Volatile.Write(ref _table, value ?? throw new ArgumentNullException(nameof(value)));
    }

    public UdpProxyCounters Counters => new(
        Interlocked.Read(ref _sent), Interlocked.Read(ref _received), Interlocked.Read(ref _droppedUnknown),
        Interlocked.Read(ref _droppedMalformed), Interlocked.Read(ref _sendErrors));

    private async Task TunToUdpAsync()
    {
        var token = _stop.Token;
        var arrays = new byte[Batch][];
        var buffers = new Memory<byte>[Batch];
        var lengths = new int[Batch];
        for (int i = 0; i < Batch; i++)
        {
            arrays[i] = ArrayPool<byte>.Shared.Rent(_mtu);
            buffers[i] = arrays[i];
        }
        try
        {
            while (!token.IsCancellationRequested)
            {
                lengths[0] = await _tun.ReadAsync(buffers[0], token).ConfigureAwait(false);
                int count = 1 + _tun.TryRead(buffers.AsSpan(1), lengths.AsSpan(1));
                var table = Table; // one snapshot per batch
                for (int i = 0; i < count; i++)
                    Forward(table, arrays[i].AsSpan(0, lengths[i]));
            }
        }
        catch (Exception e) when (Stopping(e))
        {
        }
        finally
        {
            foreach (var a in arrays)
                ArrayPool<byte>.Shared.Return(a);
        }
    }

    private void Forward(UdpLeaseTable table, ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 20 || packet[0] >> 4 != 4)
        {
            Interlocked.Increment(ref _droppedMalformed); // IPv6 and the like: the overlay is IPv4
            return;
        }
        var node = table.Find(BinaryPrimitives.ReadUInt32BigEndian(packet[16..20]));
        if (node is null)
        {
            Interlocked.Increment(ref _droppedUnknown);
            return;
        }
        try
        {
            _socket.SendTo(packet, SocketFlags.None, node);
            Interlocked.Increment(ref _sent);
        }
        catch (SocketException)
        {
            // Unreachable node, full buffer, an ICMP error from an earlier send: the packet is lost, as on a wire.
            Interlocked.Increment(ref _sendErrors);
        }
    }

    private async Task UdpToTunAsync()
    {
        var token = _stop.Token;
        var array = ArrayPool<byte>.Shared.Rent(MaxDatagram);
        var from = new SocketAddress(AddressFamily.InterNetwork);
        try
        {
            while (!token.IsCancellationRequested)
            {
                int n;
                try
                {
                    n = await _socket.ReceiveFromAsync(array.AsMemory(), SocketFlags.None, from, token).ConfigureAwait(false);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
                {
                    continue; // an ICMP port unreachable for an earlier send, reported on this socket
                }
                if (n < 20 || array[0] >> 4 != 4 || BinaryPrimitives.ReadUInt16BigEndian(array.AsSpan(2)) != n)
                {
                    Interlocked.Increment(ref _droppedMalformed);
                    continue;
                }
                try
                {
                    await _tun.WriteAsync(array.AsMemory(0, n), token).ConfigureAwait(false);
                    Interlocked.Increment(ref _received);
                }
                catch (LinuxException) when (!token.IsCancellationRequested)
                {
                    Interlocked.Increment(ref _droppedMalformed); // the kernel refused the packet (EINVAL): drop it, keep going
                }
            }
        }
        catch (Exception e) when (Stopping(e))
        {
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    private bool Stopping(Exception e) =>
        _stop.IsCancellationRequested && e is OperationCanceledException or ObjectDisposedException or SocketException;

    /// <summary>Stops both loops and waits for them; the TUN and the socket are left to their owner.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested)
            return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_tunToUdp, _udpToTun).ConfigureAwait(false);
        _stop.Dispose();
    }
}

/// <summary>What the udp data path did since it started: packets sent and received, and why others were dropped.</summary>
public readonly record struct UdpProxyCounters(long Sent, long Received, long DroppedUnknownSubnet, long DroppedMalformed, long SendErrors);
