using System.Text;
using k8s.Models;

namespace Kybernet.Controllers.Scheduler;

/// <summary>
/// One node in the scheduler's cache: what it offers (allocatable, pod slots, labels, taints) and the running sums of
/// what its pods (bound and assumed) take, kept as pods come and go so no decision rescans them. A node whose Ready
/// condition is not True carries the NoSchedule taint the node lifecycle controller would give it (not-ready, or
/// unreachable when Unknown): tolerations decide, and the message names the taint, as upstream's does. Not thread-safe:
/// the <see cref="SchedulerCache"/> guards it.
/// </summary>
public sealed class NodeInfo(string name)
{
    private readonly Dictionary<string, PodInfo> _pods = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _ownerCounts = new(StringComparer.Ordinal);
    private readonly List<HostPort> _usedPorts = [];

    public string Name { get; } = name;

    /// <summary>The Node object; null while only pods bound to a node not (or no longer) known are here.</summary>
    public V1Node? Node { get; private set; }

    public Resources Allocatable { get; private set; }
    public long AllowedPods { get; private set; }
    public bool Unschedulable { get; private set; }
    public IReadOnlyList<V1Taint> Taints { get; private set; } = [];
    public IDictionary<string, string> Labels { get; private set; } = new Dictionary<string, string>();

    /// <summary>What its pods request (the filter's sums) and the same with upstream's non-zero defaults (the score's).</summary>
    public Resources Requested { get; private set; }
    public Resources NonZeroRequested { get; private set; }

    public IReadOnlyCollection<PodInfo> Pods => _pods.Values;
    public int PodCount => _pods.Count;
    public IReadOnlyList<HostPort> UsedPorts => _usedPorts;

    /// <summary>
    /// Takes the node's new state; true when something a scheduling decision reads changed (labels, taints, readiness,
    /// unschedulable, allocatable), so pods that did not fit may now.
    /// </summary>
    public bool SetNode(V1Node node)
    {
        var before = Node is null ? null : Signature();
        Node = node;
        Allocatable = Resources.Of(node.Status?.Allocatable);
        AllowedPods = Resources.Whole(node.Status?.Allocatable, "pods");
        Unschedulable = node.Spec?.Unschedulable == true;
        Labels = node.Metadata.Labels ?? new Dictionary<string, string>();
        Taints = EffectiveTaints(node);
        return before != Signature();
    }

    public void ClearNode() => Node = null;

    public void Add(PodInfo pod)
    {
        _pods[pod.Key] = pod;
        Requested += pod.Requests;
        NonZeroRequested += pod.NonZeroRequests;
        if (pod.OwnerUid is { } owner)
            _ownerCounts[owner] = _ownerCounts.GetValueOrDefault(owner) + 1;
        _usedPorts.AddRange(pod.HostPorts);
    }

    public bool Remove(string key)
    {
        if (!_pods.Remove(key, out var pod))
            return false;
        Requested -= pod.Requests;
        NonZeroRequested -= pod.NonZeroRequests;
        if (pod.OwnerUid is { } owner && _ownerCounts.TryGetValue(owner, out var count))
        {
            if (count <= 1)
                _ownerCounts.Remove(owner);
            else
                _ownerCounts[owner] = count - 1;
        }
        foreach (var port in pod.HostPorts)
            _usedPorts.Remove(port);
        return true;
    }

    /// <summary>How many of its pods the controller with this uid owns.</summary>
    public int CountOwnedBy(string ownerUid) => _ownerCounts.GetValueOrDefault(ownerUid);

    /// <summary>Whether any pod here has a priority below <paramref name="priority"/> (something preemption could evict).</summary>
    public bool HasPodsBelow(int priority) => _pods.Values.Any(p => p.Priority < priority);

    /// <summary>The node's taints plus the NoSchedule taint its readiness implies (the node lifecycle controller's TaintNodesByCondition).</summary>
    private static IReadOnlyList<V1Taint> EffectiveTaints(V1Node node)
    {
        var taints = node.Spec?.Taints ?? [];
        var ready = node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.Status;
        if (ready == "True")
            return [.. taints];
        var key = ready == "Unknown" ? Common.Taints.Unreachable : Common.Taints.NotReady;
        if (taints.Any(t => t.Key == key && t.Effect == Common.Taints.NoSchedule))
            return [.. taints];
        return [.. taints, new V1Taint { Key = key, Effect = Common.Taints.NoSchedule }];
    }

    private string Signature()
    {
        var text = new StringBuilder();
        text.Append(Allocatable).Append(' ').Append(AllowedPods).Append(' ').Append(Unschedulable).Append('\n');
        foreach (var (key, value) in Labels.OrderBy(l => l.Key, StringComparer.Ordinal))
            text.Append(key).Append('=').Append(value).Append('\n');
        foreach (var taint in Taints)
            text.Append(taint.Key).Append('=').Append(taint.Value).Append(':').Append(taint.Effect).Append('\n');
        return text.ToString();
    }
}
