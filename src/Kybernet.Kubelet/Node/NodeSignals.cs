namespace Kybernet.Kubelet.Node;

/// <summary>
/// What the node's health depends on, as read at one moment: why the runtime or its network is not ready (empty when
/// it is; upstream's runtime state errors, e.g. "container runtime network not ready: ..."), and whether the overlay has
/// this node's subnet (null when no overlay reports, so NetworkUnavailable is left to others).
/// </summary>
public sealed record NodeSignals(IReadOnlyList<string> RuntimeProblems, bool? OverlayHasSubnet)
{
    public static readonly NodeSignals Healthy = new([], null);
}
