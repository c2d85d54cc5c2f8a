namespace Kybernet.Kubelet.Pods.Probes;

/// <summary>A changed probe result: the pod worker restarts on a liveness/startup failure and resyncs status on readiness.</summary>
public sealed record ProbeUpdate(string ContainerName, string ContainerId, ProbeKind Kind, ProbeResult Result);
