namespace Kybernet.Api.Selectors;

/// <summary>The operators of a label selector requirement (k8s.io/apimachinery/pkg/selection).</summary>
public enum SelectorOperator
{
    /// <summary><c>a=b</c></summary>
    Equals,
    /// <summary><c>a==b</c> (same meaning as <see cref="Equals"/>, kept for the canonical string)</summary>
    DoubleEquals,
    /// <summary><c>a!=b</c>: true also when the label is absent.</summary>
    NotEquals,
    /// <summary><c>a in (x,y)</c></summary>
    In,
    /// <summary><c>a notin (x,y)</c>: true also when the label is absent.</summary>
    NotIn,
    /// <summary><c>a</c></summary>
    Exists,
    /// <summary><c>!a</c></summary>
    DoesNotExist,
    /// <summary><c>a&gt;1</c>: the label's value, read as an integer, is greater.</summary>
    GreaterThan,
    /// <summary><c>a&lt;1</c>: the label's value, read as an integer, is less.</summary>
    LessThan,
}
