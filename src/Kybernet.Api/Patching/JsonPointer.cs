using System.Text;

namespace Kybernet.Api.Patching;

/// <summary>JSON pointer, RFC 6901: <c>""</c> is the whole document, <c>"/a/0/b~1c"</c> its parts.</summary>
internal static class JsonPointer
{
    /// <summary>
    /// Splits a pointer into its unescaped reference tokens (<c>~1</c> is <c>/</c>, <c>~0</c> is <c>~</c>).
    /// Returns null, with a reason, if the pointer is malformed.
    /// </summary>
    public static IReadOnlyList<string>? Parse(string pointer, out string? error)
    {
        error = null;
        if (pointer.Length == 0)
            return [];
        if (pointer[0] != '/')
        {
            error = "a JSON pointer must be empty or start with '/'";
            return null;
        }

        var tokens = new List<string>();
        var token = new StringBuilder();
        for (var i = 1; i <= pointer.Length; i++)
        {
            if (i == pointer.Length || pointer[i] == '/')
            {
                tokens.Add(token.ToString());
                token.Clear();
                continue;
            }
            var c = pointer[i];
            if (c != '~')
            {
                token.Append(c);
                continue;
            }
            var next = i + 1 < pointer.Length ? pointer[i + 1] : '\0';
            if (next == '0')
                token.Append('~');
            else if (next == '1')
                token.Append('/');
            else
            {
                error = "'~' must be followed by '0' or '1'";
                return null;
            }
            i++;
        }
        return tokens;
    }

    /// <summary>
    /// An array index token: digits without leading zeros. "-" (past the end) is left to the caller.
    /// </summary>
    public static bool TryParseIndex(string token, out int index)
    {
        index = -1;
        if (token.Length == 0 || token.Length > 9)
            return false;
        if (token.Length > 1 && token[0] == '0')
            return false;
        foreach (var c in token)
        {
            if (c is < '0' or > '9')
                return false;
        }
        index = int.Parse(token, System.Globalization.CultureInfo.InvariantCulture);
        return true;
    }

    /// <summary>True if <paramref name="prefix"/> names a proper ancestor of <paramref name="tokens"/>.</summary>
    public static bool IsProperPrefix(IReadOnlyList<string> prefix, IReadOnlyList<string> tokens)
    {
        if (prefix.Count >= tokens.Count)
            return false;
        for (var i = 0; i < prefix.Count; i++)
        {
            if (prefix[i] != tokens[i])
                return false;
        }
        return true;
    }
}
