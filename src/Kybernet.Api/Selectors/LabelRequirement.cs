using System.Globalization;
using System.Text;
using Kybernet.Api.Names;

namespace Kybernet.Api.Selectors;

/// <summary>
/// One requirement of a label selector: a key, an operator and its values (sorted, without
/// duplicates for the parsed set forms). Built only through <see cref="Create"/>, which validates.
/// </summary>
public sealed class LabelRequirement
{
    /// <summary>The binary operators in the order Kubernetes lists them in its errors.</summary>
    internal const string BinaryOperatorList = "in, notin, =, ==, !=, gt, lt";

    private LabelRequirement(string key, SelectorOperator op, IReadOnlyList<string> values)
    {
        Key = key;
        Operator = op;
        Values = values;
    }

    public string Key { get; }
    public SelectorOperator Operator { get; }
    public IReadOnlyList<string> Values { get; }

    /// <summary>
    /// A validated requirement (Kubernetes' NewRequirement): a qualified key, a value count that
    /// fits the operator, valid label values. Throws <see cref="SelectorException"/>.
    /// </summary>
    public static LabelRequirement Create(string key, SelectorOperator op, IEnumerable<string> values)
    {
        var vals = values.ToArray();
        var errors = new List<string>();
        if (LabelSyntax.IsQualifiedName(key) is { Count: > 0 } keyErrors)
            errors.Add(InvalidValue.Format("key", key, string.Join("; ", keyErrors)));

        switch (op)
        {
            case SelectorOperator.In or SelectorOperator.NotIn:
                if (vals.Length == 0)
                    errors.Add(InvalidValue.Format("values", vals, "for 'in', 'notin' operators, values set can't be empty"));
                break;
            case SelectorOperator.Equals or SelectorOperator.DoubleEquals or SelectorOperator.NotEquals:
                if (vals.Length != 1)
                    errors.Add(InvalidValue.Format("values", vals, "exact-match compatibility requires one single value"));
                break;
            case SelectorOperator.Exists or SelectorOperator.DoesNotExist:
                if (vals.Length != 0)
                    errors.Add(InvalidValue.Format("values", vals, "values set must be empty for exists and does not exist"));
                break;
            case SelectorOperator.GreaterThan or SelectorOperator.LessThan:
                if (vals.Length != 1)
                    errors.Add(InvalidValue.Format("values", vals, "for 'Gt', 'Lt' operators, exactly one value is required"));
                for (var i = 0; i < vals.Length; i++)
                    if (!long.TryParse(vals[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                        errors.Add(InvalidValue.Format($"values[{i}]", vals[i], "for 'Gt', 'Lt' operators, the value must be an integer"));
                break;
            default:
                errors.Add($"operator: Unsupported value: \"{op}\"");
                break;
        }

        for (var i = 0; i < vals.Length; i++)
            if (LabelSyntax.IsValidLabelValue(vals[i]) is { Count: > 0 } valueErrors)
                errors.Add(InvalidValue.Format($"values[{i}][{key}]", vals[i], string.Join("; ", valueErrors)));

        if (errors.Count > 0)
            throw new SelectorException(InvalidValue.Aggregate(errors));
        return new LabelRequirement(key, op, vals);
    }

    /// <summary>
    /// Kubernetes' rules: '=', '==', 'in' need the label with one of the values; '!=', 'notin'
    /// also match when it is absent; 'gt'/'lt' need it and an integer value.
    /// </summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        var has = labels.TryGetValue(Key, out var value);
        switch (Operator)
        {
            case SelectorOperator.In or SelectorOperator.Equals or SelectorOperator.DoubleEquals:
                return has && Values.Contains(value!);
            case SelectorOperator.NotIn or SelectorOperator.NotEquals:
                return !has || !Values.Contains(value!);
            case SelectorOperator.Exists:
                return has;
            case SelectorOperator.DoesNotExist:
                return !has;
            case SelectorOperator.GreaterThan or SelectorOperator.LessThan:
                if (!has || Values.Count != 1
                    || !long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var actual)
                    || !long.TryParse(Values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var bound))
                    return false;
                return Operator == SelectorOperator.GreaterThan ? actual > bound : actual < bound;
            default:
                return false;
        }
    }

    /// <summary>The canonical text: <c>a=b</c>, <c>a==b</c>, <c>a!=b</c>, <c>a in (x,y)</c>, <c>a notin (x,y)</c>, <c>a</c>, <c>!a</c>, <c>a&gt;1</c>, <c>a&lt;1</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        if (Operator == SelectorOperator.DoesNotExist)
            sb.Append('!');
        sb.Append(Key);
        switch (Operator)
        {
            case SelectorOperator.Exists or SelectorOperator.DoesNotExist:
                return sb.ToString();
            case SelectorOperator.Equals: sb.Append('='); break;
            case SelectorOperator.DoubleEquals: sb.Append("=="); break;
            case SelectorOperator.NotEquals: sb.Append("!="); break;
            case SelectorOperator.GreaterThan: sb.Append('>'); break;
            case SelectorOperator.LessThan: sb.Append('<'); break;
            case SelectorOperator.In: sb.Append(" in ("); break;
            case SelectorOperator.NotIn: sb.Append(" notin ("); break;
        }
        sb.AppendJoin(',', Values.Order(StringComparer.Ordinal));
        if (Operator is SelectorOperator.In or SelectorOperator.NotIn)
            sb.Append(')');
        return sb.ToString();
    }
}
