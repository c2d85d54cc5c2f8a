using k8s.Models;
using Kybernet.Api.Selectors;

namespace Kybernet.Controllers.Common;

/// <summary>
/// Label selectors of typed objects (a ReplicaSet's structured selector, a Service's or ReplicationController's plain
/// map) as <see cref="LabelSelector"/>s, the same matcher the API server filters lists with.
/// </summary>
public static class Selectors
{
    private static readonly Dictionary<string, string> NoLabels = new(StringComparer.Ordinal);

    /// <summary>metav1.LabelSelector: null selects nothing, an empty one everything. Throws <see cref="SelectorException"/> on a bad operator.</summary>
    public static LabelSelector From(V1LabelSelector? selector)
    {
        if (selector is null)
            return LabelSelector.Nothing;
        var requirements = new List<LabelRequirement>();
        foreach (var (key, value) in selector.MatchLabels ?? new Dictionary<string, string>())
            requirements.Add(LabelRequirement.Create(key, SelectorOperator.Equals, [value]));
        foreach (var expression in selector.MatchExpressions ?? [])
        {
            var op = expression.OperatorProperty switch
            {
                "In" => SelectorOperator.In,
                "NotIn" => SelectorOperator.NotIn,
                "Exists" => SelectorOperator.Exists,
                "DoesNotExist" => SelectorOperator.DoesNotExist,
                _ => throw new SelectorException($"\"{expression.OperatorProperty}\" is not a valid label selector operator"),
            };
            requirements.Add(LabelRequirement.Create(expression.Key, op, expression.Values ?? []));
        }
        return LabelSelector.Of(requirements);
    }

    /// <summary>
    /// A plain equality map (ReplicationController, Service). Null or empty selects everything: a Service without a
    /// selector is one whose endpoints someone else manages, which callers check before asking.
    /// </summary>
    public static LabelSelector FromMap(IDictionary<string, string>? selector) =>
        selector is null or { Count: 0 } ? LabelSelector.Everything : LabelSelector.FromMap(selector.AsReadOnly());

    /// <summary>Whether the object's labels (none: empty) match.</summary>
    public static bool Matches(this LabelSelector selector, V1ObjectMeta? metadata) =>
        selector.Matches(metadata?.Labels is { } labels ? labels.AsReadOnly() : NoLabels);

    /// <summary>The selector as a ?labelSelector= query (the canonical text form).</summary>
    public static string ToQuery(this LabelSelector selector) => selector.ToString();
}
