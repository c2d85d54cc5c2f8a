namespace Kybernet.Kubelet.Pods.Probes;

/// <summary>A container's probe state as the pod worker reads it (upstream's results.Result).</summary>
public enum ProbeResult
{
    /// <summary>Not known yet: a startup probe that has not succeeded, or a probe that errored (its result is thrown away).</summary>
    Unknown,
    Success,
    Failure,
}
