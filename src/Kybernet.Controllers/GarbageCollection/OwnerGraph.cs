using k8s.Models;
using Kybernet.Client;

namespace Kybernet.Controllers.GarbageCollection;

/// <summary>One object as the garbage collector knows it: identity, owners, and whether (and how) it is being deleted.</summary>
internal sealed record GraphNode(string Uid, ApiResource Resource, string? Namespace, string Name, IReadOnlyList<V1OwnerReference> Owners,
    bool Deleting, IReadOnlyList<string> Finalizers)
{
    public string Describe => $"{Resource.QualifiedName} {(Namespace is null ? "" : Namespace + "/")}{Name}";

    public bool HasFinalizer(string finalizer) => Finalizers.Contains(finalizer, StringComparer.Ordinal);

    /// <summary>The object as the graph keeps it; an owner reference without a uid names nothing and is left out.</summary>
    public static GraphNode Of(ApiResource resource, ObjectMetadata obj) => new(
        obj.Metadata.Uid ?? "", resource, obj.Metadata.NamespaceProperty, obj.Metadata.Name ?? "",
        [.. (obj.Metadata.OwnerReferences ?? []).Where(o => !string.IsNullOrEmpty(o.Uid))], obj.Metadata.DeletionTimestamp is not null, [.. obj.Metadata.Finalizers ?? []]);
}

/// <summary>
/// The ownership graph of every object in the cluster (upstream's GraphBuilder, reduced to what is needed): objects by
/// uid, and for each uid the objects that name it as an owner, whether or not that owner exists (a dependent whose owner
/// is gone is exactly what the collector looks for). Fed by the informers' handlers on their threads, read by the
/// workers: every method takes the lock and returns immutable values.
/// </summary>
internal sealed class OwnerGraph
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, GraphNode> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _dependents = new(StringComparer.Ordinal);

    public int Count
    {
        get { lock (_lock) return _nodes.Count; }
    }

    public GraphNode? Get(string uid)
    {
        lock (_lock)
            return _nodes.GetValueOrDefault(uid);
    }

    /// <summary>Adds or replaces the node; returns the one it replaced.</summary>
    public GraphNode? Upsert(GraphNode node)
    {
        lock (_lock)
        {
            var old = _nodes.GetValueOrDefault(node.Uid);
            if (old is not null)
                Unlink(old);
            _nodes[node.Uid] = node;
            foreach (var owner in node.Owners)
            {
                if (!_dependents.TryGetValue(owner.Uid, out var dependents))
                    _dependents[owner.Uid] = dependents = new HashSet<string>(StringComparer.Ordinal);
                dependents.Add(node.Uid);
            }
            return old;
        }
    }

    public GraphNode? Remove(string uid)
    {
        lock (_lock)
        {
            if (!_nodes.Remove(uid, out var old))
                return null;
            Unlink(old);
            return old;
        }
    }

    /// <summary>The objects that name <paramref name="ownerUid"/> among their owners.</summary>
    public IReadOnlyList<GraphNode> DependentsOf(string ownerUid)
    {
        lock (_lock)
            return _dependents.TryGetValue(ownerUid, out var uids) ? [.. uids.Select(u => _nodes[u])] : [];
    }

    private void Unlink(GraphNode node)
    {
        foreach (var owner in node.Owners)
        {
            if (_dependents.TryGetValue(owner.Uid, out var dependents) && dependents.Remove(node.Uid) && dependents.Count == 0)
                _dependents.Remove(owner.Uid);
        }
    }
}
