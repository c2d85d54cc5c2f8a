using System.Collections.Concurrent;
using Kybernet.Kubelet.Pods.Probes;

namespace Kybernet.Kubelet.Tests.Pods.Probes;

/// <summary>Keeps every result a worker publishes, and its events, for assertions.</summary>
public sealed class RecordingSink : IProbeResultSink
{
    public ConcurrentQueue<(string ContainerId, ProbeKind Kind, ProbeResult Result)> Sets { get; } = new();
    public ConcurrentQueue<(string Reason, string Message)> Events { get; } = new();
    public ConcurrentQueue<string> Removed { get; } = new();

    public ProbeResult? Last => Sets.IsEmpty ? null : Sets.Last().Result;

    public void Set(string containerName, string containerId, ProbeKind kind, ProbeResult result) => Sets.Enqueue((containerId, kind, result));

    public void Remove(string containerId, ProbeKind kind) => Removed.Enqueue(containerId);

    public void Event(string containerName, string containerId, string reason, string message) => Events.Enqueue((reason, message));
}
