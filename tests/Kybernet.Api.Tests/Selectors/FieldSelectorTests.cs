using Kybernet.Api.Selectors;

namespace Kybernet.Api.Tests.Selectors;

public class FieldSelectorTests
{
    [Theory]
    [InlineData("metadata.name=foo", "metadata.name", "foo", false)]
    [InlineData("metadata.name==foo", "metadata.name", "foo", false)]
    [InlineData("status.phase!=Running", "status.phase", "Running", true)]
    [InlineData("spec.nodeName=", "spec.nodeName", "", false)]
    public void Each_operator_parses(string text, string field, string value, bool negated) =>
        Assert.Equal(new FieldRequirement(field, value, negated), Assert.Single(FieldSelector.Parse(text).Requirements));

    [Theory]
    [InlineData("b=1,a=2", "a=2,b=1")]
    [InlineData("a==b", "a=b")]
    [InlineData("a=b,,", "a=b")]
    [InlineData(@"a=x\,y\=z\\w", @"a=x\,y\=z\\w")]
    [InlineData("a!=b", "a!=b")]
    public void Canonical_string(string text, string canonical) =>
        Assert.Equal(canonical, FieldSelector.Parse(text).ToString());

    [Fact]
    public void Escapes_are_undone_in_values_and_escaped_commas_do_not_split()
    {
        var requirement = Assert.Single(FieldSelector.Parse(@"a=x\,b\=y\\z").Requirements);
        Assert.Equal(@"x,b=y\z", requirement.Value);
        Assert.Equal(@"x\,b\=y\\z", FieldSelectorEscaping.Escape(requirement.Value));
    }

    [Fact]
    public void First_operator_splits_the_term()
    {
        // "a!=b=c" splits at "!="; the '=' left in the value is an unescaped character.
        Assert.Equal("invalid field selector: unescaped character in value: 61",
            Assert.Throws<SelectorException>(() => FieldSelector.Parse("a!=b=c")).Message);
        Assert.Equal(new FieldRequirement("a", "b=c", true), Assert.Single(FieldSelector.Parse(@"a!=b\=c").Requirements));
    }

    [Theory]
    [InlineData("abc", "invalid selector: 'abc'; can't understand 'abc'")]
    [InlineData("a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'")]
    [InlineData(@"a=b\x", @"invalid field selector: invalid escape sequence: \x")]
    [InlineData(@"a=b\", @"invalid field selector: invalid escape sequence: \")]
    [InlineData("a=b=c", "invalid field selector: unescaped character in value: 61")]
    public void Invalid_input_is_refused_with_kubernetes_message(string text, string message) =>
        Assert.Equal(message, Assert.Throws<SelectorException>(() => FieldSelector.Parse(text)).Message);

    [Theory]
    [InlineData("")]
    [InlineData(",")]
    public void Empty_selector_is_everything(string text)
    {
        Assert.True(FieldSelector.Parse(text).IsEverything);
        Assert.True(FieldSelector.Parse(text).Matches(_ => null));
    }

    [Fact]
    public void Terms_are_anded_and_missing_fields_read_as_empty()
    {
        var fields = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" };
        string? Get(string f) => fields.GetValueOrDefault(f);
        Assert.True(FieldSelector.Parse("a=1,b!=3").Matches(Get));
        Assert.False(FieldSelector.Parse("a=1,b!=2").Matches(Get));
        Assert.True(FieldSelector.Parse("c=").Matches(Get));
        Assert.True(FieldSelector.Parse("c!=x").Matches(Get));
        Assert.False(FieldSelector.Parse("c=x").Matches(Get));
    }

    [Fact]
    public void Requires_exact_match_finds_a_name_term()
    {
        Assert.Equal("web", FieldSelector.Parse("metadata.name=web").RequiresExactMatch("metadata.name"));
        Assert.Null(FieldSelector.Parse("metadata.name!=web").RequiresExactMatch("metadata.name"));
    }
}
