using k8s.Models;

namespace Kybernet.Kubelet.Pods;

/// <summary>A container cannot be configured (a missing ConfigMap key...): status CreateContainerConfigError with this message.</summary>
public sealed class ContainerConfigException(string message) : Exception(message);

/// <summary>The environment a container gets (env, envFrom, service links), resolved against the API's objects.</summary>
public interface IPodEnvironment
{
    /// <exception cref="ContainerConfigException">A source it needs is missing.</exception>
    Task<IReadOnlyList<KeyValuePair<string, string>>> ForAsync(V1Pod pod, V1Container container, string? podIp, CancellationToken ct);
}

/// <summary>A pod's volumes on the node, and the mounts each container gets from them.</summary>
public interface IPodVolumes
{
    /// <summary>Creates (or brings up to date) every volume of the pod; called before each sync's container starts.</summary>
    /// <exception cref="ContainerConfigException">A volume's source is missing and not optional.</exception>
    Task SetUpAsync(V1Pod pod, CancellationToken ct);

    /// <summary>The container's mounts: its volumeMounts (subPath resolved), plus the pod's /etc/hosts.</summary>
    IReadOnlyList<ContainerMount> MountsFor(V1Pod pod, V1Container container, string? podIp, IReadOnlyList<KeyValuePair<string, string>> environment);

    /// <summary>Unmounts and removes everything of the pod (its uid) on the node.</summary>
    Task TearDownAsync(string podUid, CancellationToken ct);
}

/// <summary>resolv.conf of a pod: null for none (the runtime's default), as CRI takes it.</summary>
public sealed record ResolvConf(IReadOnlyList<string> Nameservers, IReadOnlyList<string> Searches, IReadOnlyList<string> Options);

/// <summary>The pod's DNS settings from its dnsPolicy and dnsConfig.</summary>
public interface IPodDns
{
    ResolvConf? For(V1Pod pod);
}

/// <summary>core/v1 Events about a pod, in upstream's words.</summary>
public interface IPodEvents
{
    void Normal(V1Pod pod, string reason, string message);

    void Warning(V1Pod pod, string reason, string message);
}
