using k8s.Models;

namespace Kybernet.Controllers.Scheduler.Filters;

/// <summary>
/// Required inter-pod affinity and anti-affinity (upstream's InterPodAffinity filter), for any topology key (with
/// kubernetes.io/hostname, "together" means the same node). Built once per decision: which topology domains (key=value)
/// hold pods each of the pod's terms matches, and which domains existing pods' anti-affinity closes to it. A node then
/// passes when it is in a domain of every affinity term (or no pod matches any term yet and the pod matches its own
/// terms: the first of a group), in no domain of its anti-affinity terms, and in no domain an existing pod's
/// anti-affinity forbids. A node without the topology label is outside every domain of that key.
/// </summary>
public sealed class InterPodAffinityFilter
{
    public const string AffinityReason = "node(s) didn't match pod affinity rules";
    public const string AntiAffinityReason = "node(s) didn't match pod anti-affinity rules";
    public const string ExistingAntiAffinityReason = "node(s) didn't satisfy existing pods anti-affinity rules";

    private readonly PodInfo _pod;
    private readonly HashSet<(string Key, string Value)>[] _affinityDomains;
    private readonly HashSet<(string Key, string Value)>[] _antiAffinityDomains;
    private readonly HashSet<(string Key, string Value)> _forbiddenByExisting = [];
    private readonly bool _firstOfItsGroup;

    private InterPodAffinityFilter(PodInfo pod, SchedulerCache.CacheView cache, Func<string, V1ObjectMeta?> namespaces)
    {
        _pod = pod;
        _affinityDomains = [.. pod.RequiredAffinity.Select(_ => new HashSet<(string, string)>())];
        _antiAffinityDomains = [.. pod.RequiredAntiAffinity.Select(_ => new HashSet<(string, string)>())];
        if (pod.RequiredAffinity.Count > 0 || pod.RequiredAntiAffinity.Count > 0)
        {
            // The pod's own terms: a scan of every pod, paid only by pods that have such terms.
            foreach (var node in cache.Nodes)
            {
                foreach (var other in node.Pods)
                {
                    Collect(pod.RequiredAffinity, _affinityDomains, other.Pod, node, namespaces);
                    Collect(pod.RequiredAntiAffinity, _antiAffinityDomains, other.Pod, node, namespaces);
                }
            }
        }
        foreach (var (existing, node) in cache.PodsWithAntiAffinity)
        {
            if (node.Node is null)
                continue;
            foreach (var term in existing.RequiredAntiAffinity)
                if (node.Labels.TryGetValue(term.TopologyKey, out var value) && term.Matches(pod.Pod, namespaces))
                    _forbiddenByExisting.Add((term.TopologyKey, value));
        }
        _firstOfItsGroup = pod.RequiredAffinity.Count > 0 && _affinityDomains.All(d => d.Count == 0) &&
            pod.RequiredAffinity.All(t => t.Matches(pod.Pod, namespaces));
    }

    /// <summary>The filter for <paramref name="pod"/>, or null when neither it nor any existing pod has inter-pod terms (nothing to check).</summary>
    public static InterPodAffinityFilter? For(PodInfo pod, SchedulerCache.CacheView cache, Func<string, V1ObjectMeta?> namespaces) =>
        pod.RequiredAffinity.Count == 0 && pod.RequiredAntiAffinity.Count == 0 && !cache.PodsWithAntiAffinity.Any()
            ? null
            : new InterPodAffinityFilter(pod, cache, namespaces);

    public Rejection? Check(NodeInfo node)
    {
        if (!_firstOfItsGroup)
        {
            for (int i = 0; i < _affinityDomains.Length; i++)
            {
                var key = _pod.RequiredAffinity[i].TopologyKey;
                if (!node.Labels.TryGetValue(key, out var value) || !_affinityDomains[i].Contains((key, value)))
                    return Rejection.Final(AffinityReason);
            }
        }
        for (int i = 0; i < _antiAffinityDomains.Length; i++)
        {
            var key = _pod.RequiredAntiAffinity[i].TopologyKey;
            if (node.Labels.TryGetValue(key, out var value) && _antiAffinityDomains[i].Contains((key, value)))
                return Rejection.Resolvable(AntiAffinityReason);
        }
        foreach (var (key, value) in _forbiddenByExisting)
            if (node.Labels.TryGetValue(key, out var actual) && actual == value)
                return Rejection.Resolvable(ExistingAntiAffinityReason);
        return null;
    }

    private static void Collect(IReadOnlyList<AffinityTerm> terms, HashSet<(string, string)>[] domains, V1Pod other, NodeInfo node, Func<string, V1ObjectMeta?> namespaces)
    {
        for (int i = 0; i < terms.Count; i++)
            if (node.Labels.TryGetValue(terms[i].TopologyKey, out var value) && terms[i].Matches(other, namespaces))
                domains[i].Add((terms[i].TopologyKey, value));
    }
}
