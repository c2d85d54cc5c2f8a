namespace Kybernet.Kubelet.Pods.Probes;

/// <summary>Where probe workers publish: the result per container instance and probe kind, and the events to record.</summary>
public interface IProbeResultSink
{
    void Set(string containerName, string containerId, ProbeKind kind, ProbeResult result);

    /// <summary>The container instance is gone (replaced by a new one): forget its results.</summary>
    void Remove(string containerId, ProbeKind kind);

    /// <summary>An Unhealthy or ProbeWarning event for the container, in upstream's words.</summary>
    void Event(string containerName, string containerId, string reason, string message);
}
