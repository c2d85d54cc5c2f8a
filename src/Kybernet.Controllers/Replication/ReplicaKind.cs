using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kybernet.Api.Selectors;
using Kybernet.Client;

namespace Kybernet.Controllers.Replication;

/// <summary>
/// What the replica engine needs to know of one owner kind (ReplicaSet, ReplicationController): the two differ only in
/// their selector's shape, their API group and their typed status, as upstream runs RCs through the ReplicaSet code.
/// </summary>
public abstract class ReplicaKind<TOwner> where TOwner : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>The controller's name in the manager and its logs ("replicaset").</summary>
    public abstract string ControllerName { get; }

    /// <summary>The component its events come from, as upstream names it ("replicaset-controller").</summary>
    public abstract string EventSource { get; }

    public abstract ApiResource Resource { get; }

    /// <summary>The apiVersion of its controller references ("apps/v1").</summary>
    public abstract string ApiVersion { get; }

    public abstract string Kind { get; }

    /// <summary>Its selector; throws <see cref="SelectorException"/> when it cannot be parsed.</summary>
    public abstract LabelSelector Selector(TOwner owner);

    /// <summary>spec.replicas, 1 when left out.</summary>
    public abstract int Replicas(TOwner owner);

    public abstract int MinReadySeconds(TOwner owner);

    public abstract V1PodTemplateSpec? Template(TOwner owner);

    /// <summary>The status as stored.</summary>
    public abstract ReplicaStatus Status(TOwner owner);

    /// <summary>Merge-patches the status subresource.</summary>
    public abstract Task PatchStatusAsync(IKubernetes client, TOwner owner, JsonObject patch, CancellationToken ct);

    /// <summary>The owner as stored now (not from the cache): adoption rechecks that it is still there and not being deleted.</summary>
    public abstract Task<TOwner> ReadAsync(IKubernetes client, string ns, string name, CancellationToken ct);

    /// <summary>Whether a controller reference names this kind (its group, any version).</summary>
    public bool IsKindOf(V1OwnerReference reference) =>
        reference.Kind == Kind && GroupOf(reference.ApiVersion) == GroupOf(ApiVersion);

    private static string GroupOf(string? apiVersion) =>
        apiVersion is null ? "" : apiVersion.Contains('/') ? apiVersion[..apiVersion.IndexOf('/')] : "";

    internal static V1Patch MergePatch(JsonObject patch) => new(patch.ToJsonString(), V1Patch.PatchType.MergePatch);
}
