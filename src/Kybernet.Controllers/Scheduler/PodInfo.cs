using k8s.Models;
using Kybernet.Client.Informers;
using Kybernet.Controllers.Common;

namespace Kybernet.Controllers.Scheduler;

/// <summary>
/// A pod as the scheduler accounts for it, computed once when it enters the cache (or is scheduled) so no scheduling
/// decision parses quantities or walks specs again: its requests, host ports, owner, priority and required
/// anti-affinity terms.
/// </summary>
public sealed class PodInfo
{
    public PodInfo(V1Pod pod)
    {
        Pod = pod;
        Key = ObjectKey.Of(pod);
        var spec = pod.Spec ?? new V1PodSpec();
        Requests = PodRequests.Of(spec);
        NonZeroRequests = PodRequests.NonZero(spec);
        HostPorts = HostPort.Of(spec);
        OwnerUid = ControllerRefs.ControllerOf(pod.Metadata)?.Uid;
        Priority = spec.Priority ?? 0;
        RequiredAntiAffinity = AffinityTerm.Required(pod, anti: true);
        RequiredAffinity = AffinityTerm.Required(pod, anti: false);
    }

    public V1Pod Pod { get; }
    public string Key { get; }
    public string? Uid => Pod.Metadata.Uid;
    public Resources Requests { get; }
    public Resources NonZeroRequests { get; }
    public IReadOnlyList<HostPort> HostPorts { get; }
    public string? OwnerUid { get; }
    public int Priority { get; }
    public IReadOnlyList<AffinityTerm> RequiredAntiAffinity { get; }
    public IReadOnlyList<AffinityTerm> RequiredAffinity { get; }
}
