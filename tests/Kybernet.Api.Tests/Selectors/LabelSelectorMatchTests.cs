using System.Text.Json.Nodes;
using Kybernet.Api.Selectors;

namespace Kybernet.Api.Tests.Selectors;

public class LabelSelectorMatchTests
{
    private static Dictionary<string, string> Labels(string text) =>
        text.Length == 0
            ? []
            : text.Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1]);

    [Theory]
    [InlineData("a=b", "a=b", true)]
    [InlineData("a=b", "a=c", false)]
    [InlineData("a=b", "", false)]
    [InlineData("a==b", "a=b,x=y", true)]
    [InlineData("a!=b", "a=c", true)]
    [InlineData("a!=b", "a=b", false)]
    [InlineData("a!=b", "", true)]
    [InlineData("a in (x,y)", "a=y", true)]
    [InlineData("a in (x,y)", "a=z", false)]
    [InlineData("a in (x,y)", "", false)]
    [InlineData("a notin (x,y)", "a=z", true)]
    [InlineData("a notin (x,y)", "a=x", false)]
    [InlineData("a notin (x,y)", "", true)]
    [InlineData("a", "a=", true)]
    [InlineData("a", "b=c", false)]
    [InlineData("!a", "b=c", true)]
    [InlineData("!a", "a=x", false)]
    [InlineData("a=", "a=", true)]
    [InlineData("a=", "", false)]
    [InlineData("a>5", "a=6", true)]
    [InlineData("a>5", "a=5", false)]
    [InlineData("a>5", "a=x", false)]
    [InlineData("a<5", "a=-1", true)]
    [InlineData("a=b,c in (d),!e", "a=b,c=d", true)]
    [InlineData("a=b,c in (d),!e", "a=b,c=d,e=f", false)]
    public void Requirements_are_anded_with_kubernetes_semantics(string selector, string labels, bool expected) =>
        Assert.Equal(expected, LabelSelector.Parse(selector).Matches(Labels(labels)));

    [Fact]
    public void Matches_a_json_object_by_its_metadata_labels()
    {
        var pod = JsonNode.Parse("""{"metadata":{"name":"p","labels":{"app":"web","tier":"fe"}}}""")!.AsObject();
        var bare = JsonNode.Parse("""{"metadata":{"name":"p"}}""")!.AsObject();
        Assert.True(LabelSelector.Parse("app=web,tier").Matches(pod));
        Assert.False(LabelSelector.Parse("app=db").Matches(pod));
        Assert.False(LabelSelector.Parse("app").Matches(bare));
        Assert.True(LabelSelector.Parse("!app").Matches(bare));
        Assert.True(LabelSelector.Everything.Matches(bare));
    }
}
