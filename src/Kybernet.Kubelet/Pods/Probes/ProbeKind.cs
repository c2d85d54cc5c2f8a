namespace Kybernet.Kubelet.Pods.Probes;

/// <summary>The three probes a container may declare; each has its own worker.</summary>
public enum ProbeKind
{
    Liveness,
    Readiness,
    Startup,
}

public static class ProbeKindText
{
    /// <summary>The word upstream starts its Unhealthy event messages with ("Liveness probe failed: ...").</summary>
    public static string Label(this ProbeKind kind) => kind switch
    {
        ProbeKind.Liveness => "Liveness",
        ProbeKind.Readiness => "Readiness",
        _ => "Startup",
    };

    /// <summary>
    /// The Killing event upstream records when a failed liveness or startup probe makes it restart the container:
    /// "Container app failed liveness probe, will be restarted".
    /// </summary>
    public static string RestartMessage(this ProbeKind kind, string container) =>
        $"Container {container} failed {kind.Label().ToLowerInvariant()} probe, will be restarted";
}
