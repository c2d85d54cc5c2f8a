using Kybernet.Kubelet.Runtime;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Pods;

/// <summary>
/// The pod's own cgroup (PARENT/podUID), the parent of its containers'. The runtime makes it on the way (runc creates
/// the missing parents of a container's cgroup) but removes only each container's own, so it outlives the pod unless
/// the kubelet removes it, as upstream's pod container manager does once the pod's containers are gone.
/// </summary>
public static class PodCgroup
{
    /// <summary>Removes it (and anything below it); what cannot go (a process still in it) is logged, not thrown.</summary>
    public static void Remove(SandboxSettings settings, string podUid, ILogger log)
    {
        foreach (var failure in new CgroupTree(SandboxConfigs.CgroupOf(settings, podUid)).Remove())
            log.LogWarning("pod {Uid}: its cgroup stays: {Failure}", podUid, failure);
    }
}
