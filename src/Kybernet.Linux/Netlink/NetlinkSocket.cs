using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Kybernet.Linux.Interop;
using Kybernet.Linux.Namespaces;

namespace Kybernet.Linux.Netlink;

/// <summary>
/// A NETLINK_ROUTE socket: sends one request at a time and reads the kernel's acknowledgement or dump.
/// Opened inside a namespace, it keeps acting on that namespace from any thread.
/// </summary>
internal sealed unsafe class NetlinkSocket : IDisposable
{
    private const int NetlinkRoute = 0;
    private const int NetlinkCapAck = 10;
    // The kernel sizes dump messages by the reader's buffer but never beyond 32 KiB.
    private const int ReceiveBufferSize = 64 * 1024;

    private readonly byte[] _receive = GC.AllocateUninitializedArray<byte>(ReceiveBufferSize, pinned: true);
    private readonly Lock _gate = new();
    private int _fd;
    private uint _sequence;

    private NetlinkSocket(int fd, string where)
    {
        _fd = fd;
        Where = where;
    }

    /// <summary>"netns NAME" or "host netns": used in every error message.</summary>
    public string Where { get; }

    public static NetlinkSocket Open(NetworkNamespace? ns)
    {
        string where = ns?.Describe() ?? "current netns";
        int fd = ns is null
            ? Libc.socket(Libc.AF_NETLINK, Libc.SOCK_RAW | Libc.SOCK_CLOEXEC, NetlinkRoute)
            : ns.OpenSocket(Libc.AF_NETLINK, Libc.SOCK_RAW, NetlinkRoute);
        if (fd < 0)
            throw LinuxException.FromLastError($"open rtnetlink socket in {where}");
        try
        {
            Span<byte> address = stackalloc byte[12]; // sockaddr_nl: family, pad, port id 0 (kernel assigns), groups 0
            address.Clear();
            BinaryPrimitives.WriteUInt16LittleEndian(address, Libc.AF_NETLINK);
            fixed (byte* a = address)
                if (Libc.bind(fd, a, address.Length) != 0)
                    throw LinuxException.FromLastError($"bind rtnetlink socket in {where}");
            // Errors then carry the kernel's own explanation, and acks do not echo our whole request.
            SetOption(fd, NlSockOpt.ExtAck, 1);
            SetOption(fd, NetlinkCapAck, 1);
            return new NetlinkSocket(fd, where);
        }
        catch
        {
            Libc.close(fd);
            throw;
        }
    }

    /// <summary>Sends a request that changes state and waits for the kernel's acknowledgement.</summary>
    public void Execute(NetlinkRequest request, string operation) => Converse(request, operation, null, dump: false);

    /// <summary>Sends a get request for one object and hands its answer to <paramref name="onMessage"/>.</summary>
    public void Query(NetlinkRequest request, string operation, MessageHandler onMessage) =>
        Converse(request, operation, onMessage, dump: false);

    /// <summary>Sends a dump request and hands every answering message to <paramref name="onMessage"/>.</summary>
    public void Dump(NetlinkRequest request, string operation, MessageHandler onMessage) =>
        Converse(request, operation, onMessage, dump: true);

    /// <summary>
    /// One request, then its answers: an error message (errno 0 is the ack) ends any exchange, DONE
    /// ends a dump, and a get is answered by exactly one message. Messages of other sequence numbers
    /// (late answers to an earlier, failed exchange) are skipped.
    /// </summary>
    private void Converse(NetlinkRequest request, string operation, MessageHandler? onMessage, bool dump)
    {
        lock (_gate)
        {
            uint seq = Send(request, operation);
            while (true)
            {
                int n = Receive(operation);
                foreach (var (header, body) in Messages(n))
                {
                    if (header.Sequence != seq)
                        continue;
                    if (header.Type == NlMsg.Error)
                    {
                        ThrowIfError(header, body, operation);
                        return;
                    }
                    if (header.Type == NlMsg.Done)
                    {
                        // A dump that the kernel had to abort reports the errno in its DONE message.
                        if (body.Length >= 4 && BinaryPrimitives.ReadInt32LittleEndian(body) is < 0 and var err)
                            throw new LinuxException($"{operation} in {Where}", -err);
                        return;
                    }
                    onMessage?.Invoke(header.Type, body);
                    if (!dump)
                        return;
                }
            }
        }
    }

    public delegate void MessageHandler(ushort type, ReadOnlySpan<byte> body);

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            Libc.close(fd);
    }

    private uint Send(NetlinkRequest request, string operation)
    {
        uint seq = ++_sequence;
        request.Stamp(seq);
        var bytes = request.Bytes;
        fixed (byte* p = bytes)
        {
            nint sent;
            do sent = Libc.send(_fd, p, (nuint)bytes.Length, 0);
            while (sent < 0 && Libc.Errno == Libc.EINTR);
            if (sent < 0)
                throw LinuxException.FromLastError($"{operation} in {Where} (send)");
        }
        return seq;
    }

    private int Receive(string operation)
    {
        const int MsgTrunc = 0x20;
        fixed (byte* p = _receive)
        {
            nint n;
            do n = Libc.recv(_fd, p, (nuint)_receive.Length, MsgTrunc);
            while (n < 0 && Libc.Errno == Libc.EINTR);
            if (n < 0)
                throw LinuxException.FromLastError($"{operation} in {Where} (receive)");
            if (n > _receive.Length)
                throw new LinuxException($"{operation} in {Where} (receive {n} bytes)", 90);
            return (int)n;
        }
    }

    private MessageEnumerable Messages(int length) => new(_receive.AsSpan(0, length));

    private void ThrowIfError(in NlMsgHdr header, ReadOnlySpan<byte> body, string operation)
    {
        int error = BinaryPrimitives.ReadInt32LittleEndian(body);
        if (error == 0)
            return;
        throw new LinuxException($"{operation} in {Where}", -error, ExtendedAckMessage(header, body));
    }

    /// <summary>The kernel's human explanation (NLMSGERR_ATTR_MSG), after the echoed request header.</summary>
    private static string? ExtendedAckMessage(in NlMsgHdr header, ReadOnlySpan<byte> body)
    {
        if ((header.Flags & NlFlags.AckTlvs) == 0 || body.Length < 20)
            return null;
        int echoed = (header.Flags & NlFlags.Capped) != 0
            ? 16
            : (int)BinaryPrimitives.ReadUInt32LittleEndian(body[4..]);
        int start = 4 + NetlinkRequest.Align(echoed);
        if (start > body.Length)
            return null;
        foreach (var attribute in new NetlinkAttributes(body[start..]))
            if (attribute.Type == NlErrAttr.Msg)
                return attribute.String;
        return null;
    }

    private static void SetOption(int fd, int option, int value)
    {
        if (Libc.setsockopt(fd, Libc.SOL_NETLINK, option, &value, sizeof(int)) != 0)
            throw LinuxException.FromLastError($"set netlink socket option {option}");
    }

    /// <summary>Splits a receive buffer into (header, body) pairs without copying.</summary>
    private readonly ref struct MessageEnumerable(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;

        public Enumerator GetEnumerator() => new(_data);

        public ref struct Enumerator(ReadOnlySpan<byte> data)
        {
            private ReadOnlySpan<byte> _rest = data;

            public ReceivedMessage Current { get; private set; }

            public bool MoveNext()
            {
                if (_rest.Length < 16)
                    return false;
                var header = MemoryMarshal.Read<NlMsgHdr>(_rest);
                int length = (int)header.Length;
                if (length < 16 || length > _rest.Length)
                    return false;
                Current = new ReceivedMessage(header, _rest[16..length]);
                _rest = _rest[Math.Min(NetlinkRequest.Align(length), _rest.Length)..];
                return true;
            }
        }
    }

    private readonly ref struct ReceivedMessage(NlMsgHdr header, ReadOnlySpan<byte> body)
    {
        private readonly NlMsgHdr _header = header;
        private readonly ReadOnlySpan<byte> _body = body;

        public void Deconstruct(out NlMsgHdr header, out ReadOnlySpan<byte> body)
        {
            header = _header;
            body = _body;
        }
    }
}
