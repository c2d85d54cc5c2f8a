using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kybernet.Api.Selectors;
using Kybernet.Client;
using Kybernet.Controllers.Common;

namespace Kybernet.Controllers.Replication;

/// <summary>
/// core/v1 ReplicationControllers: a plain label map as selector (the API server defaults it to the template's labels).
/// An empty one would select every pod of the namespace; upstream's validation forbids it, and so does the engine: it
/// selects nothing.
/// </summary>
public sealed class ReplicationControllerKind : ReplicaKind<V1ReplicationController>
{
    public static readonly ReplicationControllerKind Instance = new();

    public override string ControllerName => "replicationcontroller";
    public override string EventSource => "replication-controller";
    public override ApiResource Resource => ApiResource.ReplicationControllers;
    public override string ApiVersion => "v1";
    public override string Kind => "ReplicationController";

    public override LabelSelector Selector(V1ReplicationController owner) =>
        owner.Spec?.Selector is { Count: > 0 } selector ? Selectors.FromMap(selector) : LabelSelector.Nothing;

    public override int Replicas(V1ReplicationController owner) => owner.Spec?.Replicas ?? 1;
    public override int MinReadySeconds(V1ReplicationController owner) => owner.Spec?.MinReadySeconds ?? 0;
    public override V1PodTemplateSpec? Template(V1ReplicationController owner) => owner.Spec?.Template;

    public override ReplicaStatus Status(V1ReplicationController owner)
    {
        var s = owner.Status;
        return new ReplicaStatus(s?.Replicas ?? 0, s?.FullyLabeledReplicas ?? 0, s?.ReadyReplicas ?? 0, s?.AvailableReplicas ?? 0, s?.ObservedGeneration,
            [.. (s?.Conditions ?? []).Select(c => new ReplicaCondition(c.Type, c.Status, c.Reason, c.Message, c.LastTransitionTime))]);
    }

    public override Task PatchStatusAsync(IKubernetes client, V1ReplicationController owner, JsonObject patch, CancellationToken ct) =>
        client.CoreV1.PatchNamespacedReplicationControllerStatusAsync(MergePatch(patch), owner.Metadata.Name, owner.Metadata.NamespaceProperty, cancellationToken: ct);

    public override Task<V1ReplicationController> ReadAsync(IKubernetes client, string ns, string name, CancellationToken ct) =>
        client.CoreV1.ReadNamespacedReplicationControllerAsync(name, ns, cancellationToken: ct);
}
