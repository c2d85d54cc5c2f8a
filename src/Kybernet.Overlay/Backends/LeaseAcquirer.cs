using System.Net;
using System.Text.Json.Nodes;

namespace Kybernet.Overlay.Backends;

/// <summary>What a backend asks the subnet manager for: a lease carrying this node's address and backend data.</summary>
public sealed record LeaseRequest(IPAddress PublicIp, string BackendType, JsonObject BackendData);

/// <summary>
/// Acquires (or renews) this node's lease; the subnet manager provides it. A delegate rather than the
/// manager's type, so backends and subnet managers (etcd, Kubernetes API) stay independent.
/// </summary>
public delegate Task<SubnetLease> LeaseAcquirer(LeaseRequest request, CancellationToken cancellationToken);
