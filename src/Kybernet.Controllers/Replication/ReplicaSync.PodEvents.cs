using k8s.Models;
using Kybernet.Api.Selectors;
using Kybernet.Client.Informers;
using Kybernet.Controllers.Common;

namespace Kybernet.Controllers.Replication;

/// <summary>
/// Pod events, as upstream's addPod/updatePod/deletePod: a pod with a controller reference concerns only that owner
/// (whose expectations it lowers); an orphan concerns every owner of its namespace whose selector matches it.
/// </summary>
internal sealed partial class ReplicaSync<TOwner>
{
    public void OnOwnerDeleted(TOwner owner)
    {
        var key = ObjectKey.Of(owner);
        expectations.Forget(key);
        queue.Add(key);
    }

    public void OnPodAdded(V1Pod pod)
    {
        if (PodState.IsTerminating(pod))
        {
            // Seen for the first time already being deleted (after a restart, say): for its owner that is a deletion.
            OnPodDeleted(pod);
            return;
        }
        if (ControllerRefs.ControllerOf(pod.Metadata) is { } reference)
        {
            if (Resolve(pod.Metadata.NamespaceProperty, reference) is { } owner)
            {
                var key = ObjectKey.Of(owner);
                expectations.CreationObserved(key);
                queue.Add(key);
            }
            return;
        }
        foreach (var owner in OwnersSelecting(pod))
            queue.Add(ObjectKey.Of(owner));
    }

    public void OnPodUpdated(V1Pod old, V1Pod current)
    {
        if (old.Metadata.ResourceVersion == current.Metadata.ResourceVersion)
            return; // a resync: nothing happened to the pod
        var labelsChanged = !SameLabels(old.Metadata.Labels, current.Metadata.Labels);
        if (PodState.IsTerminating(current))
        {
            // Graceful deletion shows as an update; its owner counts it gone now and replaces it at once.
            OnPodDeleted(current);
            if (labelsChanged)
                OnPodDeleted(old);
            return;
        }
        var oldReference = ControllerRefs.ControllerOf(old.Metadata);
        var reference = ControllerRefs.ControllerOf(current.Metadata);
        var referenceChanged = oldReference?.Uid != reference?.Uid;
        if (referenceChanged && oldReference is not null && Resolve(old.Metadata.NamespaceProperty, oldReference) is { } previous)
            queue.Add(ObjectKey.Of(previous));
        if (reference is not null)
        {
            if (Resolve(current.Metadata.NamespaceProperty, reference) is { } owner)
                queue.Add(ObjectKey.Of(owner));
            return;
        }
        if (labelsChanged || referenceChanged)
            foreach (var owner in OwnersSelecting(current))
                queue.Add(ObjectKey.Of(owner));
    }

    public void OnPodDeleted(V1Pod pod)
    {
        if (ControllerRefs.ControllerOf(pod.Metadata) is not { } reference || Resolve(pod.Metadata.NamespaceProperty, reference) is not { } owner)
            return;
        var key = ObjectKey.Of(owner);
        expectations.DeletionObserved(key, ObjectKey.Of(pod));
        queue.Add(key);
    }

    /// <summary>The owner a controller reference names, if it is of this kind and the cached one has its uid.</summary>
    private TOwner? Resolve(string? ns, V1OwnerReference reference) =>
        kind.IsKindOf(reference) && owners.Get(ns, reference.Name) is { } owner && owner.Metadata.Uid == reference.Uid ? owner : null;

    private IEnumerable<TOwner> OwnersSelecting(V1Pod pod)
    {
        foreach (var owner in owners.ByIndex(InformerCache<TOwner>.NamespaceIndex, pod.Metadata.NamespaceProperty ?? ""))
        {
            LabelSelector selector;
            try
            {
                selector = kind.Selector(owner);
            }
            catch (SelectorException)
            {
                continue; // its sync reports the bad selector
            }
            if (selector.Matches(pod.Metadata))
                yield return owner;
        }
    }

    private static bool SameLabels(IDictionary<string, string>? a, IDictionary<string, string>? b)
    {
        if ((a?.Count ?? 0) != (b?.Count ?? 0))
            return false;
        return a is null || b is null || a.All(pair => b.TryGetValue(pair.Key, out var value) && value == pair.Value);
    }
}
