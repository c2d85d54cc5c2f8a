using System.Text;
using k8s.Models;
using Kybernet.Controllers.Common;

namespace Kybernet.Controllers.Endpoints;

/// <summary>
/// The subsets of a Service's core/v1 Endpoints, computed from the Service and the pods its selector matches, in one
/// canonical layout (upstream's RepackSubsets): pods with the same resolved ports share a subset; each subset lists
/// its ready addresses and its not-ready ones; subsets, addresses and ports in a fixed order, so equal content is
/// equal text (<see cref="Describe"/>) and an unchanged Service is never written.
/// </summary>
public static class EndpointSubsets
{
    /// <summary>What a sync computed: the subsets (after any truncation) and whether they were cut.</summary>
    public sealed record Result(IList<V1EndpointSubset> Subsets, bool Truncated, int Ready, int NotReady);

    public static Result Compute(V1Service service, IEnumerable<V1Pod> pods, int maxAddresses)
    {
        var publishNotReady = service.Spec?.PublishNotReadyAddresses == true;
        var ports = service.Spec?.Ports ?? [];
        // Port set (as text) -> its ports, and the ready and not-ready addresses of the pods that resolve to it.
        var groups = new Dictionary<string, (List<Corev1EndpointPort> Ports, List<V1EndpointAddress> Ready, List<V1EndpointAddress> NotReady)>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            // Terminating pods leave the Endpoints (they stay in EndpointSlices, marked terminating), unless the
            // Service publishes every pod.
            if (!ServicePods.ShouldBeInEndpoints(pod, includeTerminating: publishNotReady))
                continue;
            if (AddressFor(service, pod) is not { } address)
                continue;
            var resolved = new List<Corev1EndpointPort>();
            foreach (var servicePort in ports)
            {
                if (ServicePods.ResolvePort(pod, servicePort) is { } number)
                    resolved.Add(new Corev1EndpointPort { Name = servicePort.Name, Port = number, Protocol = servicePort.Protocol ?? "TCP", AppProtocol = servicePort.AppProtocol });
            }
            // A pod that serves none of the Service's ports is no endpoint; a headless Service without ports lists
            // bare addresses (DNS needs nothing more).
            if (resolved.Count == 0 && !(ports.Count == 0 && ServicePods.IsHeadless(service)))
                continue;
            var key = string.Join(",", resolved.Select(DescribePort));
            if (!groups.TryGetValue(key, out var group))
                groups[key] = group = (resolved, [], []);
            (publishNotReady || PodState.IsReady(pod) ? group.Ready : group.NotReady).Add(address);
        }
        var subsets = groups.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => new V1EndpointSubset
        {
            Ports = g.Value.Ports.Count == 0 ? null : g.Value.Ports,
            Addresses = g.Value.Ready.Count == 0 ? null : Sorted(g.Value.Ready),
            NotReadyAddresses = g.Value.NotReady.Count == 0 ? null : Sorted(g.Value.NotReady),
        }).ToList();
        var ready = subsets.Sum(s => s.Addresses?.Count ?? 0);
        var notReady = subsets.Sum(s => s.NotReadyAddresses?.Count ?? 0);
        var truncated = Truncate(subsets, maxAddresses);
        return new Result(subsets, truncated, ready, notReady);
    }

    /// <summary>
    /// The pod's address in the Service's IP family (its first; by the cluster IP, or by the pod's own first IP for a
    /// headless Service that has no families), or null when the pod has no IP of that family.
    /// </summary>
    private static V1EndpointAddress? AddressFor(V1Service service, V1Pod pod)
    {
        bool ipv6;
        if (service.Spec?.IpFamilies is { Count: > 0 } families)
            ipv6 = families[0] == "IPv6";
        else if (!ServicePods.IsHeadless(service))
            ipv6 = ServicePods.IsIpv6(service.Spec!.ClusterIP);
        else
            ipv6 = ServicePods.PodIps(pod) is [var first, ..] && ServicePods.IsIpv6(first);
        if (ServicePods.PodIp(pod, ipv6) is not { } ip)
            return null;
        return new V1EndpointAddress
        {
            Ip = ip,
            NodeName = string.IsNullOrEmpty(pod.Spec?.NodeName) ? null : pod.Spec.NodeName,
            Hostname = ServicePods.Hostname(pod, service),
            TargetRef = new V1ObjectReference { Kind = "Pod", NamespaceProperty = pod.Namespace(), Name = pod.Name(), Uid = pod.Uid() },
        };
    }

    private static List<V1EndpointAddress> Sorted(List<V1EndpointAddress> addresses) =>
        [.. addresses.OrderBy(a => a.Ip, StringComparer.Ordinal).ThenBy(a => a.TargetRef?.Uid, StringComparer.Ordinal)];

    /// <summary>
    /// Cuts the subsets to <paramref name="max"/> addresses in all, as upstream does: if the ready ones alone are too
    /// many, only ready ones are kept, each subset keeping its share (rounded up, the last ones taking what is left);
    /// otherwise every ready one is kept and the not-ready ones share the rest the same way. True if anything was cut.
    /// </summary>
    public static bool Truncate(IList<V1EndpointSubset> subsets, int max)
    {
        var ready = subsets.Sum(s => s.Addresses?.Count ?? 0);
        var notReady = subsets.Sum(s => s.NotReadyAddresses?.Count ?? 0);
        if (ready + notReady <= max)
            return false;
        var cutReady = ready > max;
        var room = cutReady ? max : max - ready;
        var total = cutReady ? ready : notReady;
        var left = room;
        foreach (var subset in subsets)
        {
            var list = (cutReady ? subset.Addresses : subset.NotReadyAddresses) ?? [];
            var share = Math.Min(left, (int)Math.Ceiling((double)list.Count / total * room));
            var kept = list.Take(share).ToList();
            left -= kept.Count;
            if (cutReady)
            {
                subset.Addresses = kept.Count == 0 ? null : kept;
                subset.NotReadyAddresses = null;
            }
            else
                subset.NotReadyAddresses = kept.Count == 0 ? null : kept;
        }
        return true;
    }

    /// <summary>The subsets as one line of text, for comparing what is stored with what should be (empty lists and nulls alike).</summary>
    public static string Describe(IEnumerable<V1EndpointSubset>? subsets)
    {
        var text = new StringBuilder();
        foreach (var subset in subsets ?? [])
        {
            text.Append('[').AppendJoin(',', (subset.Ports ?? []).Select(DescribePort)).Append("] ready:");
            foreach (var address in subset.Addresses ?? [])
                DescribeAddress(text, address);
            text.Append(" notready:");
            foreach (var address in subset.NotReadyAddresses ?? [])
                DescribeAddress(text, address);
            text.Append('\n');
        }
        return text.ToString();
    }

    private static string DescribePort(Corev1EndpointPort port) => $"{port.Name}/{port.Port}/{port.Protocol ?? "TCP"}/{port.AppProtocol}";

    private static void DescribeAddress(StringBuilder text, V1EndpointAddress address) =>
        text.Append(' ').Append(address.Ip).Append('|').Append(address.Hostname).Append('|').Append(address.NodeName).Append('|')
            .Append(address.TargetRef?.Kind).Append('/').Append(address.TargetRef?.NamespaceProperty).Append('/').Append(address.TargetRef?.Name).Append('/').Append(address.TargetRef?.Uid);
}
