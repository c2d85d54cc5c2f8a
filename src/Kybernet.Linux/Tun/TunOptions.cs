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
}
