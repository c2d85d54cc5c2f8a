namespace Kybernet.Overlay.Backends;

/// <summary>
/// What a backend wants in the kernel for a set of leases, computed without touching the kernel, and the
/// leases it could not use, each named with the reason ("lease 10.244.9.0/24 (node 10.0.0.7): ...").
/// </summary>
public sealed record DesiredState(OverlayState State, IReadOnlyList<string> Problems);
