using System.Net;

namespace Kybernet.Cni.Plugins.Portmap;

/// <summary>
/// One entry of runtimeConfig.portMappings: traffic to <see cref="HostPort"/> on the node (on every
/// local address, or only on <see cref="HostIp"/>) goes to <see cref="ContainerPort"/> in the container.
/// </summary>
public sealed record PortMapping(int HostPort, int ContainerPort, PortProtocol Protocol)
{
    /// <summary>The one IPv4 host address the mapping is for; null for every local address.</summary>
    public IPAddress? HostIp { get; init; }

    /// <summary>"host port 8080/tcp" or "host port 10.0.0.1:8080/tcp": how errors name the mapping.</summary>
    public string HostSide => HostIp is null
        ? $"host port {HostPort}/{Protocol.ToNft()}"
        : $"host port {HostIp}:{HostPort}/{Protocol.ToNft()}";

    public override string ToString() => $"{HostSide} -> container port {ContainerPort}";
}
