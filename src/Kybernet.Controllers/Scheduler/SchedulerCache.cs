using k8s.Models;
using Kybernet.Client.Informers;

namespace Kybernet.Controllers.Scheduler;

/// <summary>
/// The scheduler's view of the cluster (upstream's scheduler cache): every node with the pods bound or assumed on it.
/// A pod is assumed on its node the moment it is chosen, before the binding is sent, so the next decision already sees
/// the resources taken; the informer's copy of the bound pod later confirms it, and a failed binding forgets it.
/// One lock guards it all: informer handlers, binding completions and the scheduling loop (which holds it for one
/// decision, see <see cref="Locked"/>).
/// </summary>
public sealed class SchedulerCache
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, NodeInfo> _nodes = new(StringComparer.Ordinal);
    // Nodes with a Node object, in a stable order the sampling rotates through.
    private readonly List<NodeInfo> _schedulable = [];
    private readonly Dictionary<string, (PodInfo Pod, string Node, bool Assumed)> _pods = new(StringComparer.Ordinal);
    // Pods with required anti-affinity terms: every decision checks them (they are few).
    private readonly Dictionary<string, PodInfo> _withAntiAffinity = new(StringComparer.Ordinal);

    /// <summary>Runs <paramref name="decide"/> under the cache's lock (one scheduling decision).</summary>
    public T Locked<T>(Func<CacheView, T> decide)
    {
        lock (_lock)
            return decide(new CacheView(this));
    }

    /// <summary>What a decision may read and do while it holds the lock.</summary>
    public readonly struct CacheView(SchedulerCache cache)
    {
        public IReadOnlyList<NodeInfo> Nodes => cache._schedulable;
        /// <summary>Every pod with required anti-affinity terms, with the node it is on.</summary>
        public IEnumerable<(PodInfo Pod, NodeInfo Node)> PodsWithAntiAffinity
        {
            get
            {
                var self = cache;
                return self._withAntiAffinity.Values.Select(p => (p, self._nodes[self._pods[p.Key].Node]));
            }
        }
        public NodeInfo? Node(string name) => cache._nodes.GetValueOrDefault(name);
        public void Assume(PodInfo pod, string node) => cache.AddLocked(pod, node, assumed: true);
    }

    public int NodeCount
    {
        get { lock (_lock) return _schedulable.Count; }
    }

    /// <summary>Adds or updates a node; true when what scheduling reads of it changed (or it is new).</summary>
    public bool SetNode(V1Node node)
    {
        lock (_lock)
        {
            var info = NodeLocked(node.Metadata.Name);
            bool isNew = info.Node is null;
            bool changed = info.SetNode(node);
            if (isNew)
                _schedulable.Add(info);
            return changed || isNew;
        }
    }

    public void RemoveNode(string name)
    {
        lock (_lock)
        {
            if (!_nodes.TryGetValue(name, out var info))
                return;
            info.ClearNode();
            _schedulable.Remove(info);
            if (info.PodCount == 0)
                _nodes.Remove(name);
        }
    }

    /// <summary>
    /// A bound pod as the informer sees it: added, or replacing what was known (an assumed pod is now confirmed).
    /// Returns true when the pod's labels changed (pods with affinity to it may now fit).
    /// </summary>
    public bool AddOrUpdateBoundPod(V1Pod pod)
    {
        var key = ObjectKey.Of(pod);
        lock (_lock)
        {
            if (_pods.TryGetValue(key, out var known) && !known.Assumed && known.Node == pod.Spec.NodeName &&
                known.Pod.Uid == pod.Metadata.Uid && SameLabels(known.Pod.Pod.Metadata.Labels, pod.Metadata.Labels))
                return false; // a status change (the kubelet's): nothing a decision reads has changed
        }
        var info = new PodInfo(pod); // parsed outside the lock: decisions need not wait for it
        lock (_lock)
        {
            bool labelsChanged = false;
            if (_pods.TryGetValue(key, out var known))
            {
                labelsChanged = !SameLabels(known.Pod.Pod.Metadata.Labels, pod.Metadata.Labels);
                RemoveLocked(key);
            }
            AddLocked(info, pod.Spec.NodeName, assumed: false);
            return labelsChanged;
        }
    }

    /// <summary>Removes a pod (deleted, finished, or its binding failed); true when it was there.</summary>
    public bool RemovePod(string key)
    {
        lock (_lock)
            return RemoveLocked(key);
    }

    /// <summary>A failed binding: the pod is no longer assumed anywhere (a pod the informer saw bound meanwhile stays).</summary>
    public void Forget(string key)
    {
        lock (_lock)
            if (_pods.TryGetValue(key, out var known) && known.Assumed)
                RemoveLocked(key);
    }

    /// <summary>Whether the pod is assumed or bound here: a stale unbound copy from the informer must not be scheduled again.</summary>
    public bool IsAssumedOrBound(string key)
    {
        lock (_lock)
            return _pods.ContainsKey(key);
    }

    private NodeInfo NodeLocked(string name)
    {
        if (!_nodes.TryGetValue(name, out var info))
            _nodes[name] = info = new NodeInfo(name);
        return info;
    }

    private void AddLocked(PodInfo pod, string node, bool assumed)
    {
        NodeLocked(node).Add(pod);
        _pods[pod.Key] = (pod, node, assumed);
        if (pod.RequiredAntiAffinity.Count > 0)
            _withAntiAffinity[pod.Key] = pod;
    }

    private bool RemoveLocked(string key)
    {
        if (!_pods.Remove(key, out var known))
            return false;
        _withAntiAffinity.Remove(key);
        if (_nodes.TryGetValue(known.Node, out var info))
        {
            info.Remove(key);
            if (info.Node is null && info.PodCount == 0)
                _nodes.Remove(known.Node);
        }
        return true;
    }

    private static bool SameLabels(IDictionary<string, string>? a, IDictionary<string, string>? b)
    {
        if ((a?.Count ?? 0) != (b?.Count ?? 0))
            return false;
        if (a is null || b is null)
            return true;
        foreach (var (key, value) in a)
            if (!b.TryGetValue(key, out var other) || other != value)
                return false;
        return true;
    }
}
