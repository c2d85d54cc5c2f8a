using System.Text;

namespace Kybernet.Agnhost.Http;

/// <summary>Percent-decoding of paths and query strings ("+" is a space only in a query, as in Go's url package).</summary>
public static class UrlEncoding
{
    public static List<KeyValuePair<string, string>> ParseQuery(ReadOnlySpan<char> query)
    {
        var pairs = new List<KeyValuePair<string, string>>();
        while (!query.IsEmpty)
        {
            int amp = query.IndexOf('&');
            var part = amp < 0 ? query : query[..amp];
            query = amp < 0 ? [] : query[(amp + 1)..];
            if (part.IsEmpty)
                continue;
            int eq = part.IndexOf('=');
            var key = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? [] : part[(eq + 1)..];
            pairs.Add(new(Decode(key, plusIsSpace: true), Decode(value, plusIsSpace: true)));
        }
        return pairs;
    }

    /// <summary>Decodes %XX escapes (a malformed one is kept as it is) and, in a query, "+" as a space.</summary>
    public static string Decode(ReadOnlySpan<char> text, bool plusIsSpace)
    {
        if (text.IndexOfAny('%', '+') < 0)
            return text.ToString();
        var bytes = new List<byte>(text.Length);
        Span<byte> utf8 = stackalloc byte[4];
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '%' && i + 2 < text.Length && IsHex(text[i + 1]) && IsHex(text[i + 2]))
            {
                bytes.Add((byte)(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2])));
                i += 2;
            }
            else if (c == '+' && plusIsSpace)
                bytes.Add((byte)' ');
            else
            {
                int n = new Rune(char.IsSurrogate(c) ? '?' : c).EncodeToUtf8(utf8);
                for (int k = 0; k < n; k++)
                    bytes.Add(utf8[k]);
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
