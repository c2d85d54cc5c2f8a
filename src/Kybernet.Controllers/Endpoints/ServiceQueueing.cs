using k8s.Models;
using Kybernet.Client.Informers;

namespace Kybernet.Controllers.Endpoints;

/// <summary>Which Services a pod change concerns: those whose selector matches the pod, before or after the change.</summary>
public static class ServiceQueueing
{
    /// <summary>
    /// The keys of the managed Services to sync after a pod went from <paramref name="old"/> to <paramref name="now"/>
    /// (null old: added; null now: deleted). An update that changes neither labels nor anything an endpoint says
    /// concerns none; a resync (the same object twice) concerns every Service that selects it.
    /// </summary>
    public static IReadOnlyList<string> ServicesFor(InformerCache<V1Service> services, V1Pod? old, V1Pod? now)
    {
        var pod = now ?? old;
        if (pod is null)
            return [];
        if (old is not null && now is not null && !ReferenceEquals(old, now) && ServicePods.SameLabels(old, now) && !ServicePods.EndpointRelevantChange(old, now))
            return [];
        var keys = new List<string>();
        foreach (var service in services.ByIndex(InformerCache<V1Service>.NamespaceIndex, pod.Namespace() ?? ""))
        {
            if (!ServicePods.IsManaged(service))
                continue;
            if ((now is not null && ServicePods.Selects(service, now)) || (old is not null && ServicePods.Selects(service, old)))
                keys.Add(ObjectKey.Of(service));
        }
        return keys;
    }

    /// <summary>The managed Services' pods: those of its namespace its selector matches.</summary>
    public static IEnumerable<V1Pod> PodsOf(InformerCache<V1Pod> pods, V1Service service) =>
        pods.ByIndex(InformerCache<V1Pod>.NamespaceIndex, service.Namespace() ?? "").Where(p => ServicePods.Selects(service, p));
}
