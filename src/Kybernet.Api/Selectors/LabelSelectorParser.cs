using Kybernet.Api.Names;

namespace Kybernet.Api.Selectors;

/// <summary>
/// The recursive-descent parser of Kubernetes' label selector grammar:
/// <code>
/// selector    ::= requirement ("," requirement)*
/// requirement ::= ["!"] KEY [ ("in"|"notin") "(" VALUE ("," VALUE)* ")" | ("="|"=="|"!="|"&gt;"|"&lt;") VALUE ]
/// </code>
/// Inside values, <c>in</c> and <c>notin</c> are plain words. Errors carry Kubernetes' messages.
/// </summary>
internal sealed class LabelSelectorParser
{
    private readonly List<LabelLexeme> _tokens;
    private int _position;

    private LabelSelectorParser(string text) => _tokens = LabelSelectorLexer.Scan(text);

    public static List<LabelRequirement> Parse(string text) => new LabelSelectorParser(text).ParseAll();

    // In a value position the keywords are identifiers; as an operator they are keywords.
    private LabelLexeme Peek(bool asValue = true) => Adjust(_tokens[_position], asValue);

    private LabelLexeme Next(bool asValue = true) => Adjust(_tokens[_position++], asValue);

    private static LabelLexeme Adjust(LabelLexeme lexeme, bool asValue) =>
        asValue && lexeme.Token is LabelToken.In or LabelToken.NotIn
            ? lexeme with { Token = LabelToken.Identifier }
            : lexeme;

    private List<LabelRequirement> ParseAll()
    {
        var requirements = new List<LabelRequirement>();
        while (true)
        {
            var lookahead = Peek();
            switch (lookahead.Token)
            {
                case LabelToken.Identifier or LabelToken.DoesNotExist:
                    try
                    {
                        requirements.Add(ParseRequirement());
                    }
                    catch (SelectorException e)
                    {
                        throw new SelectorException("unable to parse requirement: " + e.Message);
                    }
                    var after = Next();
                    switch (after.Token)
                    {
                        case LabelToken.EndOfString:
                            return requirements;
                        case LabelToken.Comma:
                            var following = Peek();
                            if (following.Token is not (LabelToken.Identifier or LabelToken.DoesNotExist))
                                throw new SelectorException($"found '{following.Literal}', expected: identifier after ','");
                            break;
                        default:
                            throw new SelectorException($"found '{after.Literal}', expected: ',' or 'end of string'");
                    }
                    break;
                case LabelToken.EndOfString:
                    return requirements;
                default:
                    throw new SelectorException($"found '{lookahead.Literal}', expected: !, identifier, or 'end of string'");
            }
        }
    }

    private LabelRequirement ParseRequirement()
    {
        var (key, unary) = ParseKeyAndInferOperator();
        if (unary is { } op)
            return LabelRequirement.Create(key, op, []);
        var binary = ParseOperator();
        IEnumerable<string> values = binary is SelectorOperator.In or SelectorOperator.NotIn ? ParseValueSet() : ParseExactValue();
        return LabelRequirement.Create(key, binary, values);
    }

    private (string Key, SelectorOperator? Unary) ParseKeyAndInferOperator()
    {
        SelectorOperator? op = null;
        var token = Next();
        if (token.Token == LabelToken.DoesNotExist)
        {
            op = SelectorOperator.DoesNotExist;
            token = Next();
        }
        if (token.Token != LabelToken.Identifier)
            throw new SelectorException($"found '{token.Literal}', expected: identifier");
        if (LabelSyntax.IsQualifiedName(token.Literal) is { Count: > 0 } errors)
            throw new SelectorException(InvalidValue.Format(InvalidValue.NilPath, token.Literal, string.Join("; ", errors)));
        if (op is null && Peek().Token is LabelToken.EndOfString or LabelToken.Comma)
            op = SelectorOperator.Exists;
        return (token.Literal, op);
    }

    private SelectorOperator ParseOperator()
    {
        var token = Next(asValue: false);
        return token.Token switch
        {
            LabelToken.In => SelectorOperator.In,
            LabelToken.NotIn => SelectorOperator.NotIn,
            LabelToken.Equals => SelectorOperator.Equals,
            LabelToken.DoubleEquals => SelectorOperator.DoubleEquals,
            LabelToken.NotEquals => SelectorOperator.NotEquals,
            LabelToken.GreaterThan => SelectorOperator.GreaterThan,
            LabelToken.LessThan => SelectorOperator.LessThan,
            _ => throw new SelectorException($"found '{token.Literal}', expected: {LabelRequirement.BinaryOperatorList}"),
        };
    }

    // "(x,y)", "()" (one empty value), "(,x)" / "(x,)" / "(x,,y)" (empty values among them).
    private SortedSet<string> ParseValueSet()
    {
        var open = Next();
        if (open.Token != LabelToken.OpenPar)
            throw new SelectorException($"found '{open.Literal}' expected: '('");
        var first = Peek();
        switch (first.Token)
        {
            case LabelToken.Identifier or LabelToken.Comma:
                var values = ParseValueList();
                if (Next().Token != LabelToken.ClosedPar)
                    throw new SelectorException($"found '{first.Literal}', expected: ')'");
                return values;
            case LabelToken.ClosedPar:
                Next();
                return new SortedSet<string>(StringComparer.Ordinal) { "" };
            default:
                throw new SelectorException($"found '{first.Literal}', expected: ',', ')' or identifier");
        }
    }

    private SortedSet<string> ParseValueList()
    {
        var values = new SortedSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var token = Next();
            switch (token.Token)
            {
                case LabelToken.Identifier:
                    values.Add(token.Literal);
                    var after = Peek();
                    switch (after.Token)
                    {
                        case LabelToken.Comma:
                            continue;
                        case LabelToken.ClosedPar:
                            return values;
                        default:
                            throw new SelectorException($"found '{after.Literal}', expected: ',' or ')'");
                    }
                case LabelToken.Comma:
                    if (values.Count == 0)
                        values.Add("");
                    var next = Peek();
                    if (next.Token == LabelToken.ClosedPar)
                    {
                        values.Add("");
                        return values;
                    }
                    if (next.Token == LabelToken.Comma)
                    {
                        Next();
                        values.Add("");
                    }
                    break;
                default:
                    throw new SelectorException($"found '{token.Literal}', expected: ',', or identifier");
            }
        }
    }

    // "a=" (end or ',' next) means the empty value.
    private string[] ParseExactValue()
    {
        if (Peek().Token is LabelToken.EndOfString or LabelToken.Comma)
            return [""];
        var token = Next();
        if (token.Token == LabelToken.Identifier)
            return [token.Literal];
        throw new SelectorException($"found '{token.Literal}', expected: identifier");
    }
}
