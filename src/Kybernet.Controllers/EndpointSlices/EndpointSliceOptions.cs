namespace Kybernet.Controllers.EndpointSlices;

/// <summary>The EndpointSlice controller's settings (kube-controller-manager's --max-endpoints-per-slice and --concurrent-service-endpoint-syncs).</summary>
public sealed record EndpointSliceOptions
{
    /// <summary>Upstream's default for --max-endpoints-per-slice.</summary>
    public const int DefaultMaxEndpointsPerSlice = 100;

    /// <summary>The most endpoints one slice holds (1 to 1000, as upstream allows).</summary>
    public int MaxEndpointsPerSlice { get; init; } = DefaultMaxEndpointsPerSlice;

    /// <summary>How many Services are synced at once (upstream's default: 5).</summary>
    public int Workers { get; init; } = 5;

    /// <summary>Throws <see cref="ArgumentException"/> naming the problem unless the settings make sense.</summary>
    public void Validate()
    {
        if (MaxEndpointsPerSlice is < 1 or > 1000)
            throw new ArgumentException($"--max-endpoints-per-slice must be between 1 and 1000, not {MaxEndpointsPerSlice}");
        if (Workers < 1)
            throw new ArgumentException($"the EndpointSlice controller needs at least one worker, not {Workers}");
    }
}
