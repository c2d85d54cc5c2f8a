using System.Text;

namespace Kybernet.Agnhost;

/// <summary>
/// The few JSON shapes upstream returns (objects of strings and of string lists), escaped as Go's encoding/json
/// escapes them: quotes, backslashes and control characters, and also &lt; &gt; &amp; and U+2028/U+2029 as \u escapes.
/// Keys come out in the order given; callers pass them sorted, as Go marshals a map.
/// </summary>
public static class Json
{
    public static string Object(IEnumerable<KeyValuePair<string, string>> fields)
    {
        var sb = new StringBuilder("{");
        foreach (var (key, value) in fields)
        {
            if (sb.Length > 1)
                sb.Append(',');
            String(sb, key);
            sb.Append(':');
            String(sb, value);
        }
        return sb.Append('}').ToString();
    }

    public static string ObjectOfLists(IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> fields)
    {
        var sb = new StringBuilder("{");
        foreach (var (key, values) in fields)
        {
            if (sb.Length > 1)
                sb.Append(',');
            String(sb, key);
            sb.Append(":[");
            for (int i = 0; i < values.Count; i++)
            {
                if (i > 0)
                    sb.Append(',');
                String(sb, values[i]);
            }
            sb.Append(']');
        }
        return sb.Append('}').ToString();
    }

    public static void String(StringBuilder sb, string value)
    {
        sb.Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '<' or '>' or '&' or '\u2028' or '\u2029' or < ' ':
                    sb.Append("\\u").Append(((int)c).ToString("x4"));
                    break;
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
    }
}
