namespace Kybernet.Kubelet.Pods.Probes;

/// <summary>
/// What the pod worker last read from the runtime about the probed container and its pod; the probe worker acts
/// only on this (it never asks the runtime itself).
/// </summary>
/// <param name="ContainerId">The current container instance; null before the first one is created.</param>
/// <param name="StartedAt">When the current instance started running (initialDelaySeconds counts from here).</param>
/// <param name="Started">The container passed its startup probe (or has none): liveness and readiness run only then.</param>
/// <param name="PodTerminal">The pod's phase is Succeeded or Failed: the worker stops.</param>
/// <param name="PodDeleting">The pod has a deletion timestamp: liveness and startup stop, readiness goes on.</param>
public sealed record ProbeObservation(
    string? ContainerId,
    bool Running,
    DateTimeOffset? StartedAt,
    bool Terminated,
    bool Started,
    string? PodIP,
    bool PodTerminal = false,
    bool PodDeleting = false);
