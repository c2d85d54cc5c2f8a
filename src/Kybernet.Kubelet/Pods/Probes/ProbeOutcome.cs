namespace Kybernet.Kubelet.Pods.Probes;

/// <summary>
/// One probe run as the worker counts it, with the Unhealthy/ProbeWarning event text upstream records
/// (null when there is nothing to report).
/// </summary>
public sealed record ProbeOutcome(ProbeResult Result, string? EventReason, string? EventMessage)
{
    public const string Unhealthy = "Unhealthy";
    public const string ProbeWarning = "ProbeWarning";
}
