using System.Globalization;
using k8s.Models;

namespace Kybernet.Controllers.Common;

/// <summary>
/// Whether a pod may run on a node by its spec.nodeSelector and required node affinity (the scheduler's NodeAffinity
/// filter, which the DaemonSet controller applies too).
/// </summary>
public static class NodeAffinity
{
    /// <summary>Both the nodeSelector (every entry equal) and the required affinity (any term) hold.</summary>
    public static bool PodMatches(V1PodSpec spec, V1Node node) =>
        MatchesNodeSelectorMap(spec.NodeSelector, node) &&
        (spec.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution is not { } required || Matches(required, node));

    public static bool MatchesNodeSelectorMap(IDictionary<string, string>? selector, V1Node node)
    {
        if (selector is null)
            return true;
        var labels = node.Metadata.Labels;
        foreach (var (key, value) in selector)
            if (labels is null || !labels.TryGetValue(key, out var actual) || actual != value)
                return false;
        return true;
    }

    /// <summary>A NodeSelector: its terms are ORed (no terms matches nothing); a term's expressions and fields are ANDed.</summary>
    public static bool Matches(V1NodeSelector selector, V1Node node) =>
        selector.NodeSelectorTerms?.Any(term => Matches(term, node)) == true;

    public static bool Matches(V1NodeSelectorTerm term, V1Node node)
    {
        var expressions = term.MatchExpressions ?? [];
        var fields = term.MatchFields ?? [];
        if (expressions.Count == 0 && fields.Count == 0)
            return false; // an empty term matches no objects
        var labels = node.Metadata.Labels ?? new Dictionary<string, string>();
        foreach (var requirement in expressions)
            if (!Matches(requirement, labels.TryGetValue(requirement.Key, out var value) ? value : null))
                return false;
        foreach (var requirement in fields)
            if (requirement.Key != "metadata.name" || !Matches(requirement, node.Metadata.Name))
                return false;
        return true;
    }

    /// <summary>One requirement against the value of its key (null: the node has no such label).</summary>
    public static bool Matches(V1NodeSelectorRequirement requirement, string? value)
    {
        var values = requirement.Values ?? [];
        return requirement.OperatorProperty switch
        {
            "In" => value is not null && values.Contains(value),
            "NotIn" => value is null || !values.Contains(value),
            "Exists" => value is not null,
            "DoesNotExist" => value is null,
            "Gt" => Compare(value, values) is > 0,
            "Lt" => Compare(value, values) is < 0,
            _ => false,
        };
    }

    private static int? Compare(string? value, IList<string> values) =>
        value is not null && values.Count == 1 &&
        long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var actual) &&
        long.TryParse(values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var bound)
            ? actual.CompareTo(bound)
            : null;
}
