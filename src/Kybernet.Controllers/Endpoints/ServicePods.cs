using System.Net;
using System.Net.Sockets;
using k8s.Models;
using Kybernet.Controllers.Common;

namespace Kybernet.Controllers.Endpoints;

/// <summary>
/// Upstream's rules for which pods back a Service and how they appear there, shared by the Endpoints and the
/// EndpointSlice controllers (k8s.io/endpointslice/util, pkg/api/v1/pod.FindPort).
/// </summary>
public static class ServicePods
{
    /// <summary>
    /// Whether the controllers manage this Service's endpoints: it has a selector and is not ExternalName (a Service
    /// without one is the user's, who writes its Endpoints or EndpointSlices: the API server's own `kubernetes` is one).
    /// </summary>
    public static bool IsManaged(V1Service service) =>
        service.Spec?.Selector is { Count: > 0 } && service.Spec.Type != "ExternalName";

    /// <summary>Whether the pod's labels match the Service's selector (every pair equal).</summary>
    public static bool Selects(V1Service service, V1Pod pod)
    {
        if (service.Spec?.Selector is not { Count: > 0 } selector)
            return false;
        var labels = pod.Metadata?.Labels;
        if (labels is null)
            return false;
        foreach (var (key, value) in selector)
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
                return false;
        }
        return true;
    }

    /// <summary>
    /// Whether the pod gets an endpoint at all: it has an IP, it will not stop for good (a finished pod, by its restart
    /// policy, never serves again), and it is not terminating unless <paramref name="includeTerminating"/>.
    /// </summary>
    public static bool ShouldBeInEndpoints(V1Pod pod, bool includeTerminating)
    {
        if (PodIps(pod).Count == 0)
            return false;
        if (!includeTerminating && PodState.IsTerminating(pod))
            return false;
        return pod.Spec?.RestartPolicy switch
        {
            "Never" => !PodState.IsFinished(pod),
            "OnFailure" => pod.Status?.Phase != PodState.Succeeded,
            _ => true,
        };
    }

    /// <summary>status.podIPs, or status.podIP when that is all there is.</summary>
    public static IReadOnlyList<string> PodIps(V1Pod pod)
    {
        if (pod.Status?.PodIPs is { Count: > 0 } many)
            return [.. many.Select(ip => ip.Ip).Where(ip => !string.IsNullOrEmpty(ip))];
        return pod.Status?.PodIP is { Length: > 0 } one ? [one] : [];
    }

    /// <summary>The pod's IP of one family, or null.</summary>
    public static string? PodIp(V1Pod pod, bool ipv6) => PodIps(pod).FirstOrDefault(ip => IsIpv6(ip) == ipv6);

    public static bool IsIpv6(string ip) => IPAddress.TryParse(ip, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6;

    /// <summary>A headless Service: no cluster IP of its own (None, or none at all).</summary>
    public static bool IsHeadless(V1Service service) => service.Spec?.ClusterIP is null or "" or "None";

    /// <summary>
    /// The port a pod serves a Service port on: a number as it is; a name looked up among the pod's container ports
    /// (and its restartable init containers, the sidecars) of the same protocol. Null when the pod has no such port:
    /// the pod is then left out for that port.
    /// </summary>
    public static int? ResolvePort(V1Pod pod, V1ServicePort servicePort)
    {
        var target = servicePort.TargetPort?.Value;
        if (string.IsNullOrEmpty(target))
            return servicePort.Port;
        if (int.TryParse(target, out var number))
            return number;
        var protocol = servicePort.Protocol ?? "TCP";
        var containers = (pod.Spec?.Containers ?? []).Concat((pod.Spec?.InitContainers ?? []).Where(c => c.RestartPolicy == "Always"));
        foreach (var container in containers)
        {
            foreach (var port in container.Ports ?? [])
            {
                if (port.Name == target && (port.Protocol ?? "TCP") == protocol)
                    return port.ContainerPort;
            }
        }
        return null;
    }

    /// <summary>The pod's DNS hostname in the Service: spec.hostname, when its spec.subdomain names this Service.</summary>
    public static string? Hostname(V1Pod pod, V1Service service) =>
        pod.Spec?.Hostname is { Length: > 0 } hostname && pod.Spec.Subdomain == service.Name() && pod.Namespace() == service.Namespace() ? hostname : null;

    /// <summary>
    /// Whether a pod update can change what any endpoint says (its IPs, readiness, deletion, phase, node, hostname):
    /// the rest (most status writes: container statuses) is not worth a sync.
    /// </summary>
    public static bool EndpointRelevantChange(V1Pod old, V1Pod now) =>
        !PodIps(old).SequenceEqual(PodIps(now))
        || PodState.IsReady(old) != PodState.IsReady(now)
        || PodState.Condition(old, "Ready")?.LastTransitionTime != PodState.Condition(now, "Ready")?.LastTransitionTime
        || old.Metadata.DeletionTimestamp != now.Metadata.DeletionTimestamp
        || old.Status?.Phase != now.Status?.Phase
        || old.Spec?.NodeName != now.Spec?.NodeName
        || old.Spec?.Hostname != now.Spec?.Hostname
        || old.Spec?.Subdomain != now.Spec?.Subdomain;

    public static bool SameLabels(V1Pod old, V1Pod now)
    {
        var a = old.Metadata?.Labels ?? new Dictionary<string, string>();
        var b = now.Metadata?.Labels ?? new Dictionary<string, string>();
        return a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
    }
}
