namespace Kybernet.Controllers.PodGarbageCollection;

/// <summary>kube-controller-manager's pod GC flags.</summary>
public sealed record PodGarbageCollectorOptions
{
    /// <summary>Upstream's --terminated-pod-gc-threshold default.</summary>
    public const int DefaultTerminatedPodThreshold = 12500;

    /// <summary>--terminated-pod-gc-threshold: finished pods kept before the oldest are deleted (0 or less: keep all).</summary>
    public int TerminatedPodThreshold { get; init; } = DefaultTerminatedPodThreshold;

    /// <summary>How often a pass runs (upstream's gcCheckPeriod, 20 s).</summary>
    public TimeSpan Period { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long a node must be missing before its pods are deleted (upstream's quarantine, 40 s): a node being re-registered is not one gone.</summary>
    public TimeSpan Quarantine { get; init; } = TimeSpan.FromSeconds(40);

    /// <summary>The clock (tests may use a fake one).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
