using k8s.Models;

namespace Kybernet.Controllers.Scheduler;

/// <summary>
/// A host port a pod's container asks for (the NodePorts filter): two conflict when protocol and port are equal and
/// their host IPs are equal or either is 0.0.0.0 (no hostIP means 0.0.0.0).
/// </summary>
public readonly record struct HostPort(string Ip, string Protocol, int Port)
{
    public const string AnyIp = "0.0.0.0";

    public bool ConflictsWith(HostPort other) =>
        Port == other.Port && Protocol == other.Protocol && (Ip == other.Ip || Ip == AnyIp || other.Ip == AnyIp);

    /// <summary>The host ports of the pod's containers and sidecars (ports without a hostPort take none).</summary>
    public static IReadOnlyList<HostPort> Of(V1PodSpec spec)
    {
        List<HostPort>? ports = null;
        foreach (var container in (spec.Containers ?? []).Concat((spec.InitContainers ?? []).Where(c => c.RestartPolicy == "Always")))
        {
            foreach (var port in container.Ports ?? [])
            {
                if (port.HostPort is not > 0)
                    continue;
                (ports ??= []).Add(new HostPort(string.IsNullOrEmpty(port.HostIP) ? AnyIp : port.HostIP,
                    string.IsNullOrEmpty(port.Protocol) ? "TCP" : port.Protocol, port.HostPort.Value));
            }
        }
        return ports ?? (IReadOnlyList<HostPort>)[];
    }
}
