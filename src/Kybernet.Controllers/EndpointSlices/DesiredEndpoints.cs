using System.Text;
using k8s.Models;
using Kybernet.Controllers.Common;
using Kybernet.Controllers.Endpoints;

namespace Kybernet.Controllers.EndpointSlices;

/// <summary>
/// The endpoints a Service's pods should have in EndpointSlices of one address type, grouped by their resolved ports
/// (pods whose named targetPort resolves to different numbers land in different slices), as upstream's reconciler
/// builds them: every pod that has an IP of the type and will run again, terminating ones included (ready=false,
/// serving=its readiness, terminating=true), with its node, zone, hostname and a reference to it.
/// </summary>
internal sealed class DesiredEndpoints
{
    /// <summary>The endpoints of one port set, in the order they are to be placed (pod name), by <see cref="EndpointKey"/>.</summary>
    public sealed class Group(IList<Discoveryv1EndpointPort> ports)
    {
        private readonly Dictionary<string, V1Endpoint> _byKey = new(StringComparer.Ordinal);
        private readonly List<string> _order = [];

        public IList<Discoveryv1EndpointPort> Ports { get; } = ports;

        public int Count => _byKey.Count;

        public void Add(V1Endpoint endpoint)
        {
            var key = EndpointKey(endpoint);
            if (_byKey.TryAdd(key, endpoint))
                _order.Add(key);
        }

        /// <summary>Takes the desired version of an endpoint already placed in a slice (null if it is not desired).</summary>
        public V1Endpoint? Take(V1Endpoint existing) => _byKey.Remove(EndpointKey(existing), out var endpoint) ? endpoint : null;

        /// <summary>Takes the next endpoint still to be placed.</summary>
        public V1Endpoint TakeNext()
        {
            while (true)
            {
                var key = _order[^1];
                _order.RemoveAt(_order.Count - 1);
                if (_byKey.Remove(key, out var endpoint))
                    return endpoint;
            }
        }

        /// <summary>Puts the order right once every endpoint is added: taken from the end, so reversed.</summary>
        public void Seal() => _order.Reverse();
    }

    /// <summary>Port set text -> its group.</summary>
    public Dictionary<string, Group> Groups { get; } = new(StringComparer.Ordinal);

    /// <summary>Pods left out because their node is unknown (upstream's rule, unless the Service publishes not-ready addresses).</summary>
    public List<string> MissingNode { get; } = [];

    public static DesiredEndpoints For(V1Service service, IEnumerable<V1Pod> pods, string addressType, Func<string, V1Node?> nodes)
    {
        var desired = new DesiredEndpoints();
        var ipv6 = addressType == "IPv6";
        var publishNotReady = service.Spec?.PublishNotReadyAddresses == true;
        foreach (var pod in pods.OrderBy(p => p.Name(), StringComparer.Ordinal))
        {
            if (!ServicePods.ShouldBeInEndpoints(pod, includeTerminating: true))
                continue;
            if (ServicePods.PodIp(pod, ipv6) is not { } ip)
                continue;
            var node = string.IsNullOrEmpty(pod.Spec?.NodeName) ? null : nodes(pod.Spec.NodeName);
            if (node is null && !publishNotReady)
            {
                desired.MissingNode.Add(pod.Name());
                continue;
            }
            var ports = PortsOf(service, pod);
            var portKey = PortSetKey(ports);
            if (!desired.Groups.TryGetValue(portKey, out var group))
                desired.Groups[portKey] = group = new Group(ports);
            group.Add(EndpointOf(service, pod, node, ip, publishNotReady));
        }
        foreach (var group in desired.Groups.Values)
            group.Seal();
        return desired;
    }

    private static List<Discoveryv1EndpointPort> PortsOf(V1Service service, V1Pod pod)
    {
        var ports = new List<Discoveryv1EndpointPort>();
        foreach (var servicePort in service.Spec?.Ports ?? [])
        {
            if (ServicePods.ResolvePort(pod, servicePort) is { } number)
                ports.Add(new Discoveryv1EndpointPort { Name = servicePort.Name ?? "", Port = number, Protocol = servicePort.Protocol ?? "TCP", AppProtocol = servicePort.AppProtocol });
        }
        return ports;
    }

    private static V1Endpoint EndpointOf(V1Service service, V1Pod pod, V1Node? node, string ip, bool publishNotReady)
    {
        var serving = publishNotReady || PodState.IsReady(pod);
        var terminating = PodState.IsTerminating(pod);
        return new V1Endpoint
        {
            Addresses = [ip],
            // Ready never says true for a terminating pod (old consumers read only ready), unless every pod is published.
            Conditions = new V1EndpointConditions { Ready = publishNotReady || (serving && !terminating), Serving = serving, Terminating = terminating },
            NodeName = string.IsNullOrEmpty(pod.Spec?.NodeName) ? null : pod.Spec.NodeName,
            Zone = node?.Metadata.Labels?.TryGetValue(ZoneLabel, out var zone) == true && zone.Length > 0 ? zone : null,
            Hostname = ServicePods.Hostname(pod, service),
            TargetRef = new V1ObjectReference { Kind = "Pod", NamespaceProperty = pod.Namespace(), Name = pod.Name(), Uid = pod.Uid() },
        };
    }

    public const string ZoneLabel = "topology.kubernetes.io/zone";

    /// <summary>A port set as text (slices are grouped by it; null and empty names alike).</summary>
    public static string PortSetKey(IEnumerable<Discoveryv1EndpointPort>? ports) =>
        string.Join(",", (ports ?? []).Select(p => $"{p.Name}/{p.Port}/{p.Protocol ?? "TCP"}/{p.AppProtocol}"));

    /// <summary>Which pod an endpoint stands for (its uid), or its address when it names none.</summary>
    public static string EndpointKey(V1Endpoint endpoint) =>
        endpoint.TargetRef?.Uid is { Length: > 0 } uid ? uid : $"{endpoint.TargetRef?.NamespaceProperty}/{endpoint.TargetRef?.Name}/{string.Join(",", endpoint.Addresses ?? [])}";

    /// <summary>An endpoint as one line of text, to tell whether a stored one says what the desired one does.</summary>
    public static string Describe(V1Endpoint endpoint)
    {
        var text = new StringBuilder();
        text.AppendJoin(',', endpoint.Addresses ?? []).Append('|')
            .Append(endpoint.Conditions?.Ready).Append('/').Append(endpoint.Conditions?.Serving).Append('/').Append(endpoint.Conditions?.Terminating).Append('|')
            .Append(endpoint.Hostname).Append('|').Append(endpoint.NodeName).Append('|').Append(endpoint.Zone).Append('|')
            .Append(endpoint.TargetRef?.Kind).Append('/').Append(endpoint.TargetRef?.NamespaceProperty).Append('/').Append(endpoint.TargetRef?.Name).Append('/').Append(endpoint.TargetRef?.Uid);
        return text.ToString();
    }
}
