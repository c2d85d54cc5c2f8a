using System.Text;

namespace Kybernet.Api.Selectors;

/// <summary>
/// Field selector values escape '\', ',' and '=' with a backslash (k8s.io/apimachinery/pkg/fields).
/// </summary>
public static class FieldSelectorEscaping
{
    public static string Escape(string value) =>
        value.Replace("\\", "\\\\").Replace(",", "\\,").Replace("=", "\\=");

    /// <summary>Undoes <see cref="Escape"/>; an unknown escape or a bare ',' or '=' is an error.</summary>
    public static string Unescape(string value)
    {
        if (value.IndexOfAny(['\\', ',', '=']) < 0)
            return value;
        var sb = new StringBuilder(value.Length);
        var inSlash = false;
        foreach (var c in value)
        {
            if (inSlash)
            {
                if (c is not ('\\' or ',' or '='))
                    throw new SelectorException($"invalid field selector: invalid escape sequence: \\{c}");
                sb.Append(c);
                inSlash = false;
                continue;
            }
            switch (c)
            {
                case '\\':
                    inSlash = true;
                    break;
                case ',' or '=':
                    // Go prints the rune as a number here.
                    throw new SelectorException($"invalid field selector: unescaped character in value: {(int)c}");
                default:
                    sb.Append(c);
                    break;
            }
        }
        if (inSlash)
            throw new SelectorException("invalid field selector: invalid escape sequence: \\");
        return sb.ToString();
    }

    /// <summary>Splits on commas not preceded by a backslash escape; the escapes stay in the terms.</summary>
    internal static List<string> SplitTerms(string selector)
    {
        var terms = new List<string>();
        if (selector.Length == 0)
            return terms;
        var start = 0;
        var inSlash = false;
        for (var i = 0; i < selector.Length; i++)
        {
            if (inSlash)
                inSlash = false;
            else if (selector[i] == '\\')
                inSlash = true;
            else if (selector[i] == ',')
            {
                terms.Add(selector[start..i]);
                start = i + 1;
            }
        }
        terms.Add(selector[start..]);
        return terms;
    }
}
