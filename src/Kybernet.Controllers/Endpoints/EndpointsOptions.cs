namespace Kybernet.Controllers.Endpoints;

/// <summary>The endpoints controller's settings (kube-controller-manager's --concurrent-endpoint-syncs).</summary>
public sealed record EndpointsOptions
{
    /// <summary>How many Services are synced at once (upstream's default: 5).</summary>
    public int Workers { get; init; } = 5;

    /// <summary>The most addresses one Endpoints object carries (upstream's fixed 1000); beyond, it is truncated and annotated.</summary>
    public int MaxAddresses { get; init; } = EndpointsController.MaxAddresses;
}
