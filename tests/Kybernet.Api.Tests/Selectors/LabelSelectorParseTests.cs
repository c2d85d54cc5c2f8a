using Kybernet.Api.Selectors;

namespace Kybernet.Api.Tests.Selectors;

public class LabelSelectorParseTests
{
    private const string NameMessage =
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " +
        "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

    private const string ValueMessage =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character " +
        "(e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    [Theory]
    [InlineData("a=b", SelectorOperator.Equals, "b")]
    [InlineData("a==b", SelectorOperator.DoubleEquals, "b")]
    [InlineData("a!=b", SelectorOperator.NotEquals, "b")]
    [InlineData("a in (x,y)", SelectorOperator.In, "x,y")]
    [InlineData("a notin (x,y)", SelectorOperator.NotIn, "x,y")]
    [InlineData("a", SelectorOperator.Exists, "")]
    [InlineData("!a", SelectorOperator.DoesNotExist, "")]
    [InlineData("a>5", SelectorOperator.GreaterThan, "5")]
    [InlineData("a<5", SelectorOperator.LessThan, "5")]
    public void Each_operator_parses_to_one_requirement(string text, SelectorOperator op, string values)
    {
        var requirement = Assert.Single(LabelSelector.Parse(text).Requirements);
        Assert.Equal("a", requirement.Key);
        Assert.Equal(op, requirement.Operator);
        Assert.Equal(values, string.Join(",", requirement.Values));
        Assert.Equal(text, requirement.ToString());
    }

    [Theory]
    [InlineData("b=1,a=2", "a=2,b=1")]
    [InlineData("  a  in  ( y , x ) ,  b != c ", "a in (x,y),b!=c")]
    [InlineData("a\tin\n(x)\r,!b", "a in (x),!b")]
    [InlineData("a in (x,x,y)", "a in (x,y)")]
    [InlineData("environment in (production, qa),tier notin (frontend,backend),partition,!canary",
        "!canary,environment in (production,qa),partition,tier notin (backend,frontend)")]
    [InlineData("example.com/app=web,app.kubernetes.io/name==db", "app.kubernetes.io/name==db,example.com/app=web")]
    [InlineData("a=,b", "a=,b")]
    [InlineData("a in ()", "a in ()")]
    [InlineData("a in (,x)", "a in (,x)")]
    [InlineData("a in (in,notin)", "a in (in,notin)")]
    [InlineData("in in (notin)", "in in (notin)")]
    [InlineData("a=in", "a=in")]
    public void Canonical_string_sorts_keys_and_values_and_drops_whitespace(string text, string canonical) =>
        Assert.Equal(canonical, LabelSelector.Parse(text).ToString());

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Empty_text_is_everything(string text)
    {
        var selector = LabelSelector.Parse(text);
        Assert.True(selector.IsEverything);
        Assert.True(selector.Matches(new Dictionary<string, string>()));
        Assert.Equal("", selector.ToString());
    }

    [Theory]
    [InlineData("a b", "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt")]
    [InlineData("a (x)", "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt")]
    [InlineData("a=b c", "found 'c', expected: ',' or 'end of string'")]
    [InlineData("!a=b", "found '=', expected: ',' or 'end of string'")]
    [InlineData("a=b,", "found '', expected: identifier after ','")]
    [InlineData("a=b,,c", "found ',', expected: identifier after ','")]
    [InlineData(",a", "found ',', expected: !, identifier, or 'end of string'")]
    [InlineData("=a", "found '=', expected: !, identifier, or 'end of string'")]
    [InlineData("!", "unable to parse requirement: found '', expected: identifier")]
    [InlineData("a in x", "unable to parse requirement: found 'x' expected: '('")]
    [InlineData("a in (x y)", "unable to parse requirement: found 'y', expected: ',' or ')'")]
    [InlineData("a in (x", "unable to parse requirement: found '', expected: ',' or ')'")]
    [InlineData("a in (=)", "unable to parse requirement: found '=', expected: ',', ')' or identifier")]
    [InlineData("a==(", "unable to parse requirement: found '(', expected: identifier")]
    [InlineData("a>x", "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer")]
    [InlineData("a_=b", "unable to parse requirement: <nil>: Invalid value: \"a_\": name part " + NameMessage)]
    [InlineData("a=b$", "unable to parse requirement: values[0][a]: Invalid value: \"b$\": " + ValueMessage)]
    [InlineData("a in (x,-y)", "unable to parse requirement: values[0][a]: Invalid value: \"-y\": " + ValueMessage)]
    public void Invalid_input_is_refused_with_kubernetes_message(string text, string message) =>
        Assert.Equal(message, Assert.Throws<SelectorException>(() => LabelSelector.Parse(text)).Message);

    [Fact]
    public void Keys_and_values_longer_than_63_are_refused()
    {
        var long64 = new string('a', 64);
        Assert.Equal($"unable to parse requirement: <nil>: Invalid value: \"{long64}\": name part must be no more than 63 characters",
            Assert.Throws<SelectorException>(() => LabelSelector.Parse(long64 + "=b")).Message);
        Assert.Equal($"unable to parse requirement: values[0][a]: Invalid value: \"{long64}\": must be no more than 63 characters",
            Assert.Throws<SelectorException>(() => LabelSelector.Parse("a=" + long64)).Message);
        var long63 = new string('a', 63);
        Assert.Equal($"{long63}={long63}", LabelSelector.Parse($"{long63}={long63}").ToString());
    }

    [Theory]
    [InlineData("Example.com/a=b")]
    [InlineData("/a=b")]
    [InlineData("a/b/c=d")]
    [InlineData("a.-b.com/x")]
    public void Bad_key_prefixes_are_refused(string text)
    {
        var e = Assert.Throws<SelectorException>(() => LabelSelector.Parse(text));
        Assert.StartsWith("unable to parse requirement: <nil>: Invalid value: ", e.Message);
    }

    [Fact]
    public void Prefix_errors_name_the_prefix_part()
    {
        Assert.Equal("unable to parse requirement: <nil>: Invalid value: \"/a\": prefix part must be non-empty",
            Assert.Throws<SelectorException>(() => LabelSelector.Parse("/a")).Message);
        Assert.Contains("a qualified name must consist of",
            Assert.Throws<SelectorException>(() => LabelSelector.Parse("a/b/c")).Message);
        Assert.Contains("with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
            Assert.Throws<SelectorException>(() => LabelSelector.Parse("a/b/c")).Message);
    }
}
