namespace Kybernet.Api.Patching;

/// <summary>
/// Which lists a strategic merge patch merges, and how, for each kind. A list with no rule is
/// replaced whole. Lookups try the exact kind first, then <see cref="AnyKind"/>.
/// </summary>
public sealed partial class PatchSchema
{
    /// <summary>The kind that stands for every kind, for rules such as <c>metadata.finalizers</c>.</summary>
    public const string AnyKind = "*";

    private readonly Dictionary<(string Kind, string Path), ListStrategy> _rules = new();

    public PatchSchema(IEnumerable<ListRule> rules)
    {
        foreach (var rule in rules)
            _rules[(rule.Kind, rule.Path)] = rule.Strategy;
    }

    /// <summary>No list merges: every list is replaced whole, as in a JSON merge patch.</summary>
    public static PatchSchema Empty { get; } = new([]);

    public IEnumerable<ListRule> Rules => _rules.Select(r => new ListRule(r.Key.Kind, r.Key.Path, r.Value));

    /// <summary>This schema with more rules; a rule for the same kind and path replaces the old one.</summary>
    public PatchSchema With(params IEnumerable<ListRule> rules) => new(Rules.Concat(rules));

    /// <summary>The strategy for the list at dotted <paramref name="path"/> in an object of <paramref name="kind"/>.</summary>
    public ListStrategy ListFor(string? kind, string path)
    {
        if (kind is not null && _rules.TryGetValue((kind, path), out var strategy))
            return strategy;
        return _rules.TryGetValue((AnyKind, path), out strategy) ? strategy : ListStrategy.Replace;
    }
}
