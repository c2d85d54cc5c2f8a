using System.Text.Json.Nodes;
using Kybernet.Api.Patching;

namespace Kybernet.Api.Tests.Patching;

public class MergePatchTests
{
    // RFC 7386 appendix A, every row.
    [Theory]
    [InlineData("""{"a":"b"}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"b":"c"}""", """{"a":"b","b":"c"}""")]
    [InlineData("""{"a":"b"}""", """{"a":null}""", """{}""")]
    [InlineData("""{"a":"b","b":"c"}""", """{"a":null}""", """{"b":"c"}""")]
    [InlineData("""{"a":["b"]}""", """{"a":"c"}""", """{"a":"c"}""")]
    [InlineData("""{"a":"c"}""", """{"a":["b"]}""", """{"a":["b"]}""")]
    [InlineData("""{"a":{"b":"c"}}""", """{"a":{"b":"d","c":null}}""", """{"a":{"b":"d"}}""")]
    [InlineData("""{"a":[{"b":"c"}]}""", """{"a":[1]}""", """{"a":[1]}""")]
    [InlineData("""["a","b"]""", """["c","d"]""", """["c","d"]""")]
    [InlineData("""{"a":"b"}""", """["c"]""", """["c"]""")]
    [InlineData("""{"a":"foo"}""", "null", "null")]
    [InlineData("""{"a":"foo"}""", "\"bar\"", "\"bar\"")]
    [InlineData("""{"e":null}""", """{"a":1}""", """{"e":null,"a":1}""")]
    [InlineData("""[1,2]""", """{"a":"b","c":null}""", """{"a":"b"}""")]
    [InlineData("""{}""", """{"a":{"bb":{"ccc":null}}}""", """{"a":{"bb":{}}}""")]
    public void Rfc7386AppendixA(string target, string patch, string expected)
    {
        Json.Equal(expected, MergePatch.Apply(Json.Parse(target), Json.Parse(patch)));
    }

    [Fact]
    public void Rfc7386Section3Example()
    {
        var target = Json.Parse("""
            {"title":"Goodbye!","author":{"givenName":"John","familyName":"Doe"},
             "tags":["example","sample"],"content":"This will be unchanged"}
            """);
        var patch = Json.Parse("""
            {"title":"Hello!","phoneNumber":"+01-123-456-7890","author":{"familyName":null},"tags":["example"]}
            """);
        Json.Equal("""
            {"title":"Hello!","author":{"givenName":"John"},"tags":["example"],
             "content":"This will be unchanged","phoneNumber":"+01-123-456-7890"}
            """, MergePatch.Apply(target, patch));
    }

    [Fact]
    public void InputsAreNotModified()
    {
        var target = Json.Parse("""{"a":{"b":1},"c":2}""");
        var patch = Json.Parse("""{"a":{"b":null,"d":[1]},"c":null}""");
        var result = MergePatch.Apply(target, patch)!;
        Json.Equal("""{"a":{"b":1},"c":2}""", target);
        Json.Equal("""{"a":{"b":null,"d":[1]},"c":null}""", patch);
        ((JsonArray)result["a"]!["d"]!).Add(2); // the result shares no nodes with the patch
        Json.Equal("""{"a":{"b":null,"d":[1]},"c":null}""", patch);
    }

    [Fact]
    public void KubectlLabelRemovesWithNull()
    {
        var pod = Json.Parse("""{"metadata":{"name":"p","labels":{"app":"web","tier":"fe"}}}""");
        Json.Equal("""{"metadata":{"name":"p","labels":{"app":"web","env":"prod"}}}""",
            MergePatch.Apply(pod, Json.Parse("""{"metadata":{"labels":{"tier":null,"env":"prod"}}}""")));
    }
}
