using k8s.Models;
using Kybernet.Client;

namespace Kybernet.Kubelet.Pods;

/// <summary>The kubelet's events about pods, through the shared recorder (source: kubelet on this node).</summary>
public sealed class PodEvents(EventRecorder recorder) : IPodEvents
{
    public void Normal(V1Pod pod, string reason, string message) => recorder.Record(pod, "v1", "Pod", EventRecorder.Normal, reason, message);

    public void Warning(V1Pod pod, string reason, string message) => recorder.Record(pod, "v1", "Pod", EventRecorder.Warning, reason, message);
}
