using System.Text;

namespace Kybernet.Api.Selectors;

/// <summary>
/// Kubernetes' field.Invalid error text: <c>path: Invalid value: "v": detail</c>, with Go's
/// formatting of the value (a quoted string, or <c>[]string{"a", "b"}</c> for a list).
/// A missing path prints as Go's nil path, <c>&lt;nil&gt;</c>.
/// </summary>
internal static class InvalidValue
{
    public const string NilPath = "<nil>";

    public static string Format(string path, string value, string detail) =>
        $"{path}: Invalid value: {Quote(value)}: {detail}";

    public static string Format(string path, IReadOnlyList<string> values, string detail) =>
        $"{path}: Invalid value: []string{{{string.Join(", ", values.Select(Quote))}}}: {detail}";

    /// <summary>Several errors joined as Go's aggregate error prints them.</summary>
    public static string Aggregate(IReadOnlyList<string> errors) =>
        errors.Count == 1 ? errors[0] : "[" + string.Join(", ", errors) + "]";

    /// <summary>Go's %q for the characters a selector can hold.</summary>
    public static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (char.IsControl(c)) sb.Append($"\\x{(int)c:x2}");
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
