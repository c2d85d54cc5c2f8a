using k8s.Models;
using Kybernet.Api.Selectors;
using Kybernet.Controllers.Common;

namespace Kybernet.Controllers.Scheduler;

/// <summary>
/// One required pod (anti-)affinity term, ready to match pods: its label selector (none matches nothing), the namespaces
/// it looks in (the listed ones, those its namespaceSelector selects, or, with neither, the owning pod's own), and the
/// node label that defines "together" (kubernetes.io/hostname: the same node).
/// </summary>
public sealed class AffinityTerm
{
    private readonly LabelSelector _selector;
    private readonly HashSet<string> _namespaces;
    private readonly LabelSelector? _namespaceSelector;

    private AffinityTerm(LabelSelector selector, HashSet<string> namespaces, LabelSelector? namespaceSelector, string topologyKey)
    {
        _selector = selector;
        _namespaces = namespaces;
        _namespaceSelector = namespaceSelector;
        TopologyKey = topologyKey;
    }

    public string TopologyKey { get; }

    /// <summary>The required terms of <paramref name="pod"/>'s podAffinity (or podAntiAffinity); a term that cannot be read matches nothing.</summary>
    public static IReadOnlyList<AffinityTerm> Required(V1Pod pod, bool anti)
    {
        var terms = anti
            ? pod.Spec?.Affinity?.PodAntiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution
            : pod.Spec?.Affinity?.PodAffinity?.RequiredDuringSchedulingIgnoredDuringExecution;
        if (terms is null or { Count: 0 })
            return [];
        return [.. terms.Select(t => From(t, pod.Metadata.NamespaceProperty ?? "default"))];
    }

    public static AffinityTerm From(V1PodAffinityTerm term, string podNamespace)
    {
        LabelSelector selector, namespaceSelector;
        try
        {
            selector = Selectors.From(term.LabelSelector);
            namespaceSelector = term.NamespaceSelector is null ? LabelSelector.Nothing : Selectors.From(term.NamespaceSelector);
        }
        catch (SelectorException)
        {
            (selector, namespaceSelector) = (LabelSelector.Nothing, LabelSelector.Nothing); // validation should have refused it
        }
        var namespaces = new HashSet<string>(term.Namespaces ?? [], StringComparer.Ordinal);
        if (namespaces.Count == 0 && term.NamespaceSelector is null)
            namespaces.Add(podNamespace);
        return new AffinityTerm(selector, namespaces, namespaceSelector.MatchesNothing ? null : namespaceSelector, term.TopologyKey ?? "");
    }

    /// <summary>Whether <paramref name="pod"/> is one this term is about; <paramref name="namespaceLabels"/> gives a namespace's labels.</summary>
    public bool Matches(V1Pod pod, Func<string, V1ObjectMeta?> namespaceLabels)
    {
        var ns = pod.Metadata.NamespaceProperty ?? "default";
        if (!_namespaces.Contains(ns) && (_namespaceSelector is null || !(_namespaceSelector.IsEverything || _namespaceSelector.Matches(namespaceLabels(ns)))))
            return false;
        return _selector.Matches(pod.Metadata);
    }
}
