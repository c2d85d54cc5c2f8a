namespace Kybernet.Api.Selectors;

internal enum LabelToken
{
    Error,
    EndOfString,
    ClosedPar,
    Comma,
    DoesNotExist,
    DoubleEquals,
    Equals,
    GreaterThan,
    Identifier,
    In,
    LessThan,
    NotEquals,
    NotIn,
    OpenPar,
}

internal readonly record struct LabelLexeme(LabelToken Token, string Literal);

/// <summary>
/// Splits a label selector into tokens as Kubernetes does: whitespace (space, tab, CR, LF)
/// separates; the special symbols = ! ( ) , &gt; &lt; form the longest known operator; any other
/// run of characters is an identifier, or the keyword <c>in</c>/<c>notin</c>.
/// </summary>
internal static class LabelSelectorLexer
{
    private static readonly Dictionary<string, LabelToken> Literals = new(StringComparer.Ordinal)
    {
        [")"] = LabelToken.ClosedPar,
        [","] = LabelToken.Comma,
        ["!"] = LabelToken.DoesNotExist,
        ["=="] = LabelToken.DoubleEquals,
        ["="] = LabelToken.Equals,
        [">"] = LabelToken.GreaterThan,
        ["in"] = LabelToken.In,
        ["<"] = LabelToken.LessThan,
        ["!="] = LabelToken.NotEquals,
        ["notin"] = LabelToken.NotIn,
        ["("] = LabelToken.OpenPar,
    };

    public static bool IsWhitespace(char c) => c is ' ' or '\t' or '\r' or '\n';

    private static bool IsSpecial(char c) => c is '=' or '!' or '(' or ')' or ',' or '>' or '<';

    /// <summary>All tokens, ending with one <see cref="LabelToken.EndOfString"/>.</summary>
    public static List<LabelLexeme> Scan(string text)
    {
        var tokens = new List<LabelLexeme>();
        var pos = 0;
        while (true)
        {
            while (pos < text.Length && IsWhitespace(text[pos]))
                pos++;
            if (pos >= text.Length)
            {
                tokens.Add(new LabelLexeme(LabelToken.EndOfString, ""));
                return tokens;
            }
            tokens.Add(IsSpecial(text[pos]) ? ScanSymbol(text, ref pos) : ScanWord(text, ref pos));
        }
    }

    private static LabelLexeme ScanWord(string text, ref int pos)
    {
        var start = pos;
        while (pos < text.Length && !IsSpecial(text[pos]) && !IsWhitespace(text[pos]))
            pos++;
        var word = text[start..pos];
        return Literals.TryGetValue(word, out var token) && token is LabelToken.In or LabelToken.NotIn
            ? new LabelLexeme(token, word)
            : new LabelLexeme(LabelToken.Identifier, word);
    }

    // Grows the symbol while the longer text is still an operator ("!" then "!=", "=" then "==").
    private static LabelLexeme ScanSymbol(string text, ref int pos)
    {
        LabelLexeme? last = null;
        var start = pos;
        while (pos < text.Length && IsSpecial(text[pos]))
        {
            var candidate = text[start..(pos + 1)];
            if (Literals.TryGetValue(candidate, out var token))
                last = new LabelLexeme(token, candidate);
            else if (last is not null)
                break;
            pos++;
        }
        return last ?? new LabelLexeme(LabelToken.Error, $"error expected: keyword found '{text[start..pos]}'");
    }
}
