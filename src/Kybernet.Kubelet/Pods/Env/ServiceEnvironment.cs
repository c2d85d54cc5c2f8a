using System.Globalization;
using k8s.Models;

namespace Kybernet.Kubelet.Pods.Env;

/// <summary>
/// The variables that tell a container where the Services are, as upstream's kubelet sets them: FOO_SERVICE_HOST,
/// FOO_SERVICE_PORT (and _PORT_NAME per named port), and the Docker-links style FOO_PORT, FOO_PORT_80_TCP(_PROTO,
/// _PORT, _ADDR). Only Services with a cluster IP count.
/// </summary>
public static class ServiceEnvironment
{
    /// <summary>The namespace and name whose Service every pod sees, even with enableServiceLinks false.</summary>
    public const string MasterNamespace = "default", MasterService = "kubernetes";

    /// <summary>
    /// The service variables for a pod in <paramref name="podNamespace"/>: its namespace's Services when
    /// <paramref name="enableServiceLinks"/>, and default/kubernetes always; a same-named Service of the pod's own
    /// namespace wins over default's.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ForPod(IPodObjectSource source, string podNamespace, bool enableServiceLinks)
    {
        var chosen = new SortedDictionary<string, V1Service>(StringComparer.Ordinal);
        foreach (var service in source.ListServices(MasterNamespace))
            if (service.Metadata?.Name == MasterService && HasClusterIP(service))
                chosen[MasterService] = service;
        if (enableServiceLinks)
        {
            foreach (var service in source.ListServices(podNamespace))
                if (HasClusterIP(service) && service.Metadata?.Name is { } name)
                    chosen[name] = service;
        }
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var service in chosen.Values)
            foreach (var variable in For(service))
                variables[variable.Name] = variable.Value;
        return variables;
    }

    /// <summary>The variables of one Service, in upstream's order.</summary>
    public static IEnumerable<ContainerEnvVar> For(V1Service service)
    {
        if (!HasClusterIP(service) || service.Spec.Ports is not { Count: > 0 } ports)
            yield break;
        string prefix = EnvVarNames.FromServiceName(service.Metadata.Name);
        string clusterIP = service.Spec.ClusterIP;
        yield return new(prefix + "_SERVICE_HOST", clusterIP);
        yield return new(prefix + "_SERVICE_PORT", Port(ports[0]));
        foreach (var port in ports)
            if (!string.IsNullOrEmpty(port.Name))
                yield return new($"{prefix}_SERVICE_PORT_{EnvVarNames.FromServiceName(port.Name)}", Port(port));

        for (int i = 0; i < ports.Count; i++)
        {
            var port = ports[i];
            string protocol = string.IsNullOrEmpty(port.Protocol) ? "TCP" : port.Protocol;
            string lower = protocol.ToLowerInvariant();
            string url = $"{lower}://{JoinHostPort(clusterIP, port.Port)}";
            if (i == 0)
                yield return new(prefix + "_PORT", url);
            string portPrefix = $"{prefix}_PORT_{Port(port)}_{protocol.ToUpperInvariant()}";
            yield return new(portPrefix, url);
            yield return new(portPrefix + "_PROTO", lower);
            yield return new(portPrefix + "_PORT", Port(port));
            yield return new(portPrefix + "_ADDR", clusterIP);
        }
    }

    /// <summary>A Service has a cluster IP unless it is headless ("None") or has none yet.</summary>
    public static bool HasClusterIP(V1Service service) =>
        service.Spec?.ClusterIP is { Length: > 0 } ip && ip != "None";

    private static string Port(V1ServicePort port) => port.Port.ToString(CultureInfo.InvariantCulture);

    private static string JoinHostPort(string host, int port) =>
        host.Contains(':') ? $"[{host}]:{port.ToString(CultureInfo.InvariantCulture)}" : $"{host}:{port.ToString(CultureInfo.InvariantCulture)}";
}
