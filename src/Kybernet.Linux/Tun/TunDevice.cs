using System.Text;
using Kybernet.Linux.Interop;
using Kybernet.Linux.Namespaces;

namespace Kybernet.Linux.Tun;

/// <summary>
/// A TUN device (layer 3, IFF_TUN | IFF_NO_PI, optionally IFF_VNET_HDR with offloads) in a network namespace,
/// held through one descriptor per queue. Opening creates the device, or attaches to an existing tun of that name; it disappears when the
/// last descriptor closes unless it is persistent. /dev/net/tun is opened on a thread inside the namespace
/// because the driver binds each descriptor to the opener's namespace; after that the queues work anywhere.
/// </summary>
public sealed class TunDevice : IDisposable
{
    private const string CloneDevice = "/dev/net/tun";
    private readonly TunQueue[] _queues;

    private TunDevice(string name, int index, string netns, TunQueue[] queues, bool vnetHeader)
    {
        VnetHeader = vnetHeader;
        Name = name;
        Index = index;
        NamespaceDescription = netns;
        _queues = queues;
    }

    /// <summary>The link's name as the kernel assigned it ("tun0" for a pattern such as "tun%d").</summary>
    public string Name { get; }

    /// <summary>The link's ifindex inside its namespace.</summary>
    public int Index { get; }

    /// <summary>"netns NAME", as errors name the namespace.</summary>
    public string NamespaceDescription { get; }

    public IReadOnlyList<TunQueue> Queues => _queues;

    /// <summary>Whether packets carry a <see cref="VirtioNetHeader"/> (<see cref="TunOptions.VnetHeader"/>).</summary>
    public bool VnetHeader { get; }

    /// <summary>The first queue, the only one unless <see cref="TunOptions.Queues"/> was more than 1.</summary>
    public TunQueue Queue => _queues[0];

    /// <summary>Creates or attaches the tun <paramref name="name"/> (a "%d" pattern lets the kernel pick) in <paramref name="ns"/>.</summary>
    public static TunDevice Open(NetworkNamespace ns, string name, TunOptions? options = null)
    {
        options ??= new TunOptions();
        ValidateName(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Queues, 1, nameof(options.Queues));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Queues, 256, nameof(options.Queues)); // the driver's MAX_TAP_QUEUES
        if (options.Offloads != TunOffloads.None && !options.VnetHeader)
            throw new ArgumentException("TUN offloads need the virtio-net header (VnetHeader)", nameof(options));
        short flags = (short)(Libc.IFF_TUN | Libc.IFF_NO_PI |
                              (options.MultiQueue || options.Queues > 1 ? Libc.IFF_MULTI_QUEUE : 0) |
                              (options.VnetHeader ? Libc.IFF_VNET_HDR : 0));
        var netns = ns.Describe();
        var poller = options.AsyncIo ? options.Poller ?? FdPoller.Shared : null;

        var (fds, actual, index) = ns.Run(() => OpenQueues(name, flags, options, netns));
        var queues = new List<TunQueue>(fds.Length);
        try
        {
            for (int i = 0; i < fds.Length; i++)
            {
                int fd = fds[i];
                fds[i] = -1; // the queue owns it now, even if its constructor fails
                queues.Add(new TunQueue(fd, i, $"tun {actual} queue {i} in {netns}", poller));
            }
        }
        catch
        {
            foreach (var q in queues) q.Dispose();
            foreach (var fd in fds) if (fd >= 0) Libc.close(fd);
            throw;
        }
        return new TunDevice(actual, index, netns, [.. queues], options.VnetHeader);
    }

    /// <summary>
    /// Removes a persistent tun by clearing its persistence through a fresh descriptor. The link goes away
    /// once every other descriptor on it is closed too. Returns false if there is no link of that name.
    /// </summary>
    public static unsafe bool Delete(NetworkNamespace ns, string name)
    {
        ValidateName(name);
        var netns = ns.Describe();
        return ns.Run(() =>
        {
            if (Libc.if_nametoindex(name) == 0)
                return false;
            var operation = $"delete tun {name} in {netns}";
            // Attaching needs the device's multi-queue setting, which we do not know: try both.
            int fd = -1;
            try
            {
                try
                {
                    fd = AttachOne(name, Libc.IFF_TUN | Libc.IFF_NO_PI, operation, out _);
                }
                catch (LinuxException e) when (e.ErrorNumber == Libc.EINVAL)
                {
                    fd = AttachOne(name, Libc.IFF_TUN | Libc.IFF_NO_PI | Libc.IFF_MULTI_QUEUE, operation, out _);
                }
                if (Libc.ioctl(fd, Libc.TUNSETPERSIST, (void*)0) != 0)
                    throw LinuxException.FromLastError(operation);
                return true;
            }
            finally
            {
                if (fd >= 0)
                    Libc.close(fd);
            }
        });
    }

    /// <summary>Whether the link outlives its descriptors, as the kernel reports it (TUNGETIFF).</summary>
    public unsafe bool IsPersistent
    {
        get
        {
            var req = default(Libc.IfReq);
            int errno = Queue.Ioctl(Libc.TUNGETIFF, &req);
            if (errno != 0)
                throw new LinuxException($"query tun {Name} in {NamespaceDescription}", errno);
            return (req.Flags & Libc.IFF_PERSIST) != 0;
        }
    }

    /// <summary>Closes every queue; a non-persistent link disappears with the last one.</summary>
    public void Dispose()
    {
        foreach (var q in _queues)
            q.Dispose();
    }

    /// <summary>Runs inside the namespace: opens every queue, then persists, so a failure leaves no new link behind.</summary>
    private static unsafe (int[] Fds, string Name, int Index) OpenQueues(string name, short flags, TunOptions options, string netns)
    {
        var fds = new List<int>(options.Queues);
        try
        {
            string actual = name;
            for (int i = 0; i < options.Queues; i++)
            {
                var operation = i == 0 ? $"open tun {name} in {netns}" : $"attach queue {i} to tun {actual} in {netns}";
                fds.Add(AttachOne(actual, flags, operation, out actual));
            }
            if (options.VnetHeader)
            {
                int size = VirtioNetHeader.Size;
                if (Libc.ioctl(fds[0], Libc.TUNSETVNETHDRSZ, &size) != 0)
                    throw LinuxException.FromLastError($"set virtio-net header size {size} on tun {actual} in {netns}");
            }
            if (options.Offloads != TunOffloads.None && Libc.ioctl(fds[0], Libc.TUNSETOFFLOAD, (void*)(nuint)(uint)options.Offloads) != 0)
                throw LinuxException.FromLastError($"set offloads {options.Offloads} on tun {actual} in {netns}");
            if (options.Persistent && Libc.ioctl(fds[0], Libc.TUNSETPERSIST, (void*)1) != 0)
                throw LinuxException.FromLastError($"persist tun {actual} in {netns}");
            int index = (int)Libc.if_nametoindex(actual);
            if (index == 0)
                throw LinuxException.FromLastError($"look up tun {actual} in {netns}");
            return ([.. fds], actual, index);
        }
        catch
        {
            foreach (var fd in fds) Libc.close(fd);
            throw;
        }
    }

    /// <summary>Opens /dev/net/tun and binds the descriptor to <paramref name="name"/>; returns the fd and the kernel's name for the link.</summary>
    private static unsafe int AttachOne(string name, short flags, string operation, out string actual)
    {
        int fd = Libc.open(CloneDevice, Libc.O_RDWR | Libc.O_NONBLOCK | Libc.O_CLOEXEC, 0);
        if (fd < 0)
            throw LinuxException.FromLastError($"{operation} ({CloneDevice})");
        var req = new Libc.IfReq { Flags = flags };
        Encoding.UTF8.GetBytes(name, new Span<byte>(req.Name, Libc.IFNAMSIZ - 1));
        if (Libc.ioctl(fd, Libc.TUNSETIFF, &req) != 0)
        {
            var error = LinuxException.FromLastError(operation);
            Libc.close(fd);
            throw error;
        }
        var kernelName = new ReadOnlySpan<byte>(req.Name, Libc.IFNAMSIZ);
        int end = kernelName.IndexOf((byte)0);
        actual = Encoding.UTF8.GetString(end < 0 ? kernelName : kernelName[..end]);
        return fd;
    }

    /// <summary>The kernel's rules for link names (dev_valid_name): 1-15 bytes, not "." or "..", no '/', ':' or whitespace.</summary>
    private static void ValidateName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || Encoding.UTF8.GetByteCount(name) >= Libc.IFNAMSIZ || name is "." or ".."
            || name.Any(c => c == '/' || c == ':' || char.IsWhiteSpace(c)))
            throw new ArgumentException($"invalid link name \"{name}\" (1-15 bytes, no '/', ':' or spaces)", nameof(name));
    }
}
