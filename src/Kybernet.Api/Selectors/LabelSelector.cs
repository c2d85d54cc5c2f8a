using System.Text.Json.Nodes;

namespace Kybernet.Api.Selectors;

/// <summary>
/// A label selector: requirements ANDed, sorted by key. From the query string
/// (<see cref="Parse"/>), from a structured <c>{matchLabels, matchExpressions}</c>
/// (<see cref="FromJson"/>) or from a plain map such as a Service's <c>spec.selector</c>
/// (<see cref="FromMap(IReadOnlyDictionary{string,string})"/>).
/// </summary>
public sealed class LabelSelector
{
    private LabelSelector(IReadOnlyList<LabelRequirement> requirements, bool matchesNothing)
    {
        Requirements = requirements;
        MatchesNothing = matchesNothing;
    }

    /// <summary>Matches every object (the empty selector).</summary>
    public static LabelSelector Everything { get; } = new([], false);

    /// <summary>Matches no object (a missing structured selector).</summary>
    public static LabelSelector Nothing { get; } = new([], true);

    public IReadOnlyList<LabelRequirement> Requirements { get; }

    public bool MatchesNothing { get; }

    /// <summary>True when the selector does not restrict anything.</summary>
    public bool IsEverything => !MatchesNothing && Requirements.Count == 0;

    /// <summary>
    /// Parses <c>?labelSelector=</c> (already URL-decoded), Kubernetes' grammar: <c>a=b</c>,
    /// <c>a==b</c>, <c>a!=b</c>, <c>a in (x,y)</c>, <c>a notin (x,y)</c>, <c>a</c>, <c>!a</c>,
    /// <c>a&gt;1</c>, <c>a&lt;1</c>, comma-separated. Empty or blank text is <see cref="Everything"/>.
    /// Throws <see cref="SelectorException"/>.
    /// </summary>
    public static LabelSelector Parse(string text) => Of(LabelSelectorParser.Parse(text));

    /// <summary>
    /// The structured form (metav1.LabelSelector): <c>matchLabels</c> and <c>matchExpressions</c>
    /// [{key, operator: In|NotIn|Exists|DoesNotExist, values}]. Null is <see cref="Nothing"/>;
    /// an empty object is <see cref="Everything"/>. Throws <see cref="SelectorException"/>.
    /// </summary>
    public static LabelSelector FromJson(JsonObject? selector)
    {
        if (selector is null)
            return Nothing;
        var requirements = new List<LabelRequirement>();
        if (selector["matchLabels"] is JsonObject matchLabels)
            foreach (var (key, value) in matchLabels)
                requirements.Add(LabelRequirement.Create(key, SelectorOperator.Equals, [StringOf(value, "matchLabels." + key)]));
        if (selector["matchExpressions"] is JsonArray expressions)
        {
            foreach (var node in expressions)
            {
                if (node is not JsonObject expression)
                    throw new SelectorException("matchExpressions: each expression must be an object");
                var op = StringOf(expression["operator"], "operator");
                var selectorOp = op switch
                {
                    "In" => SelectorOperator.In,
                    "NotIn" => SelectorOperator.NotIn,
                    "Exists" => SelectorOperator.Exists,
                    "DoesNotExist" => SelectorOperator.DoesNotExist,
                    _ => throw new SelectorException($"{InvalidValue.Quote(op)} is not a valid label selector operator"),
                };
                var values = expression["values"] is JsonArray array
                    ? array.Select((v, i) => StringOf(v, $"values[{i}]")).ToList()
                    : [];
                requirements.Add(LabelRequirement.Create(StringOf(expression["key"], "key"), selectorOp, values));
            }
        }
        return Of(requirements);
    }

    /// <summary>
    /// Equality on every entry of a plain map (a Service's or ReplicationController's
    /// <c>spec.selector</c>). An empty map is <see cref="Everything"/>: callers for whom an empty
    /// Service selector means "select nothing" check <see cref="IsEverything"/> themselves.
    /// </summary>
    public static LabelSelector FromMap(IReadOnlyDictionary<string, string> labels) =>
        Of(labels.Select(kv => LabelRequirement.Create(kv.Key, SelectorOperator.Equals, [kv.Value])));

    /// <summary><see cref="FromMap(IReadOnlyDictionary{string,string})"/> over a JSON object; null is <see cref="Everything"/>.</summary>
    public static LabelSelector FromMap(JsonObject? labels) =>
        labels is null ? Everything : FromMap(LabelsOf(labels));

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        if (MatchesNothing)
            return false;
        foreach (var requirement in Requirements)
            if (!requirement.Matches(labels))
                return false;
        return true;
    }

    /// <summary>Matches an object by its <c>metadata.labels</c> (absent: no labels).</summary>
    public bool Matches(JsonObject obj) =>
        Matches(obj["metadata"]?["labels"] is JsonObject labels ? LabelsOf(labels) : EmptyLabels);

    /// <summary>The canonical form: requirements sorted by key, joined by ','. Everything and Nothing are "".</summary>
    public override string ToString() => string.Join(",", Requirements);

    private static readonly Dictionary<string, string> EmptyLabels = new(StringComparer.Ordinal);

    /// <summary>The requirements ANDed (none: <see cref="Everything"/>), for callers that build them from typed models.</summary>
    public static LabelSelector Of(IEnumerable<LabelRequirement> requirements)
    {
        var sorted = requirements.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
        return sorted.Count == 0 ? Everything : new LabelSelector(sorted, false);
    }

    private static Dictionary<string, string> LabelsOf(JsonObject labels)
    {
        var map = new Dictionary<string, string>(labels.Count, StringComparer.Ordinal);
        foreach (var (key, value) in labels)
            if (value is JsonValue v && v.TryGetValue<string>(out var s))
                map[key] = s;
        return map;
    }

    private static string StringOf(JsonNode? node, string path) =>
        node is JsonValue v && v.TryGetValue<string>(out var s)
            ? s
            : throw new SelectorException($"{path}: must be a string");
}
