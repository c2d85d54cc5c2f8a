namespace Kybernet.Api.Selectors;

/// <summary>One term of a field selector: the field's value equals (or, negated, differs from) a value.</summary>
public sealed record FieldRequirement(string Field, string Value, bool Negated)
{
    /// <summary>A missing field reads as "" (as in Kubernetes' fields.Set).</summary>
    public bool Matches(Func<string, string?> fieldValue) =>
        string.Equals(fieldValue(Field) ?? "", Value, StringComparison.Ordinal) != Negated;

    /// <summary><c>field=value</c> or <c>field!=value</c>, the value escaped.</summary>
    public override string ToString() =>
        Field + (Negated ? "!=" : "=") + FieldSelectorEscaping.Escape(Value);
}
