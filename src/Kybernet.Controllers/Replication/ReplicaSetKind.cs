using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kybernet.Api.Selectors;
using Kybernet.Client;
using Kybernet.Controllers.Common;

namespace Kybernet.Controllers.Replication;

/// <summary>apps/v1 ReplicaSets: a structured selector (matchLabels and matchExpressions).</summary>
public sealed class ReplicaSetKind : ReplicaKind<V1ReplicaSet>
{
    public static readonly ReplicaSetKind Instance = new();

    public override string ControllerName => "replicaset";
    public override string EventSource => "replicaset-controller";
    public override ApiResource Resource => ApiResource.ReplicaSets;
    public override string ApiVersion => "apps/v1";
    public override string Kind => "ReplicaSet";

    public override LabelSelector Selector(V1ReplicaSet owner) => Selectors.From(owner.Spec?.Selector);
    public override int Replicas(V1ReplicaSet owner) => owner.Spec?.Replicas ?? 1;
    public override int MinReadySeconds(V1ReplicaSet owner) => owner.Spec?.MinReadySeconds ?? 0;
    public override V1PodTemplateSpec? Template(V1ReplicaSet owner) => owner.Spec?.Template;

    public override ReplicaStatus Status(V1ReplicaSet owner)
    {
        var s = owner.Status;
        return new ReplicaStatus(s?.Replicas ?? 0, s?.FullyLabeledReplicas ?? 0, s?.ReadyReplicas ?? 0, s?.AvailableReplicas ?? 0, s?.ObservedGeneration,
            [.. (s?.Conditions ?? []).Select(c => new ReplicaCondition(c.Type, c.Status, c.Reason, c.Message, c.LastTransitionTime))]);
    }

    public override Task PatchStatusAsync(IKubernetes client, V1ReplicaSet owner, JsonObject patch, CancellationToken ct) =>
        client.AppsV1.PatchNamespacedReplicaSetStatusAsync(MergePatch(patch), owner.Metadata.Name, owner.Metadata.NamespaceProperty, cancellationToken: ct);

    public override Task<V1ReplicaSet> ReadAsync(IKubernetes client, string ns, string name, CancellationToken ct) =>
        client.AppsV1.ReadNamespacedReplicaSetAsync(name, ns, cancellationToken: ct);
}
