using System.Text.Json.Nodes;
using Kybernet.Api.Selectors;

namespace Kybernet.Api.Tests.Selectors;

public class StructuredLabelSelectorTests
{
    private static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();

    [Fact]
    public void Match_labels_and_expressions_combine()
    {
        var selector = LabelSelector.FromJson(Json("""
            {"matchLabels":{"app":"web"},
             "matchExpressions":[{"key":"tier","operator":"In","values":["fe","be"]},
                                 {"key":"env","operator":"NotIn","values":["dev"]},
                                 {"key":"team","operator":"Exists"},
                                 {"key":"canary","operator":"DoesNotExist","values":[]}]}
            """));
        Assert.Equal("app=web,!canary,env notin (dev),team,tier in (be,fe)", selector.ToString());
        Assert.True(selector.Matches(new Dictionary<string, string> { ["app"] = "web", ["tier"] = "be", ["team"] = "x" }));
        Assert.False(selector.Matches(new Dictionary<string, string> { ["app"] = "web", ["tier"] = "be" }));
        Assert.False(selector.Matches(new Dictionary<string, string> { ["app"] = "web", ["tier"] = "be", ["team"] = "x", ["env"] = "dev" }));
    }

    [Fact]
    public void Empty_selector_matches_everything_and_null_nothing()
    {
        Assert.True(LabelSelector.FromJson(Json("{}")).IsEverything);
        Assert.True(LabelSelector.FromJson(Json("""{"matchLabels":{},"matchExpressions":[]}""")).IsEverything);
        var nothing = LabelSelector.FromJson(null);
        Assert.False(nothing.IsEverything);
        Assert.False(nothing.Matches(new Dictionary<string, string>()));
    }

    [Theory]
    [InlineData("""{"matchExpressions":[{"key":"a","operator":"Equals","values":["x"]}]}""",
        "\"Equals\" is not a valid label selector operator")]
    [InlineData("""{"matchExpressions":[{"key":"a","operator":"In","values":[]}]}""",
        "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty")]
    [InlineData("""{"matchExpressions":[{"key":"a","operator":"NotIn"}]}""",
        "values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty")]
    [InlineData("""{"matchExpressions":[{"key":"a","operator":"Exists","values":["x","y"]}]}""",
        "values: Invalid value: []string{\"x\", \"y\"}: values set must be empty for exists and does not exist")]
    [InlineData("""{"matchLabels":{"a":"b c"}}""",
        "values[0][a]: Invalid value: \"b c\": a valid label must be an empty string")]
    [InlineData("""{"matchLabels":{"-a":"b"}}""",
        "key: Invalid value: \"-a\": name part must consist of")]
    public void Invalid_structured_selectors_are_refused(string json, string messageStart) =>
        Assert.StartsWith(messageStart, Assert.Throws<SelectorException>(() => LabelSelector.FromJson(Json(json))).Message);

    [Fact]
    public void Service_selector_map_is_equality_on_each_entry()
    {
        var selector = LabelSelector.FromMap(Json("""{"app":"web","tier":"fe"}"""));
        Assert.Equal("app=web,tier=fe", selector.ToString());
        Assert.True(selector.Matches(Json("""{"metadata":{"labels":{"app":"web","tier":"fe","x":"y"}}}""")));
        Assert.False(selector.Matches(Json("""{"metadata":{"labels":{"app":"web"}}}""")));
        Assert.True(LabelSelector.FromMap((JsonObject?)null).IsEverything);
        Assert.True(LabelSelector.FromMap(new Dictionary<string, string>()).IsEverything);
    }
}
