using System.Net;
using Kybernet.Linux.Namespaces;

namespace Kybernet.Overlay.Backends;

/// <summary>
/// Where a node meets the underlay (flannel's <c>ExternalInterface</c>): the node's network namespace, the
/// device that carries overlay traffic ("eth0" inside it) and the node's public address on that device,
/// which other nodes send to. Backends never touch any other namespace.
/// </summary>
public sealed record ExternalInterface(NetworkNamespace Namespace, string Device, IPAddress PublicIp);
