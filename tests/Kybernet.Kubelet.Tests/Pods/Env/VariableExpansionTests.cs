using Kybernet.Kubelet.Pods.Env;

namespace Kybernet.Kubelet.Tests.Pods.Env;

public sealed class VariableExpansionTests
{
    private static readonly Dictionary<string, string> Vars = new() { ["A"] = "alpha", ["B"] = "beta", ["EMPTY"] = "" };

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("$(A)", "alpha")]
    [InlineData("x-$(A)-$(B)-y", "x-alpha-beta-y")]
    [InlineData("$(EMPTY)|", "|")]
    [InlineData("$(MISSING)", "$(MISSING)")]
    [InlineData("$$(A)", "$(A)")]
    [InlineData("$$$(A)", "$alpha")]
    [InlineData("$$", "$")]
    [InlineData("$", "$")]
    [InlineData("a$", "a$")]
    [InlineData("$A", "$A")]
    [InlineData("$(A", "$(A")]
    [InlineData("$()", "$()")]
    [InlineData("$(A)$(B)", "alphabeta")]
    public void Expands_like_upstream(string input, string expected) =>
        Assert.Equal(expected, VariableExpansion.Expand(input, VariableExpansion.Over(Vars)));
}
