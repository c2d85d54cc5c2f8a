namespace Kybernet.Linux.Tun;

/// <summary>How <see cref="TunDevice.Open"/> creates or attaches a TUN device.</summary>
public sealed record TunOptions
{
    /// <summary>How many queues (descriptors) to open; more than one implies <see cref="MultiQueue"/>.</summary>
    public int Queues { get; init; } = 1;

    /// <summary>
    /// Create the device with IFF_MULTI_QUEUE. An existing device is attached only with the same setting,
    /// so set this to open one queue of a multi-queue device.
    /// </summary>
    public bool MultiQueue { get; init; }

    /// <summary>
    /// Keep the link after the descriptors close (TUNSETPERSIST), which is how a tun link is "created".
    /// False leaves an existing device's persistence as it is; <see cref="TunDevice.Delete"/> removes one.
    /// </summary>
    public bool Persistent { get; init; }

    /// <summary>The reactor the queues wait on; <see cref="FdPoller.Shared"/> when null.</summary>
    public FdPoller? Poller { get; init; }

    /// <summary>
    /// Register the queues with the poller for ReadAsync/WriteAsync. False for queues served by a dedicated
    /// thread through <see cref="TunQueue.TryRead(Span{byte}, out int)"/>, <see cref="TunQueue.WaitReadable"/>
    /// and <see cref="TunQueue.Write(ReadOnlySpan{byte})"/>: then no epoll wake-up happens per packet.
    /// </summary>
    public bool AsyncIo { get; init; } = true;

    /// <summary>
    /// IFF_VNET_HDR: every packet read or written starts with a <see cref="VirtioNetHeader"/> (size set with
    /// TUNSETVNETHDRSZ). Applies to the whole device, so every queue opened on it must agree.
    /// </summary>
    public bool VnetHeader { get; init; }

    /// <summary>What the reader accepts from the kernel (TUNSETOFFLOAD); needs <see cref="VnetHeader"/>.</summary>
    public TunOffloads Offloads { get; init; }
}
