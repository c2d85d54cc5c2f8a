using k8s.Models;
using Kybernet.Client.Informers;
using Microsoft.Extensions.Logging;

namespace Kybernet.Controllers.Replication;

/// <summary>The two controllers as the manager makes them.</summary>
public static class ReplicaControllers
{
    public static ReplicaController<V1ReplicaSet> ReplicaSets(InformerFactory informers, ReplicationOptions? options = null, ILogger? log = null) =>
        new(informers, ReplicaSetKind.Instance, options, log);

    public static ReplicaController<V1ReplicationController> ReplicationControllers(InformerFactory informers, ReplicationOptions? options = null, ILogger? log = null) =>
        new(informers, ReplicationControllerKind.Instance, options, log);
}
