using System.Text.Json.Nodes;
using Kybernet.Api.Patching;

namespace Kybernet.Api.Tests.Patching;

public class JsonPatchTests
{
    private static JsonNode? Apply(string target, string operations) =>
        JsonPatch.Apply(Json.Parse(target), Json.Array(operations));

    private static PatchException Fails(string target, string operations) =>
        Assert.Throws<PatchException>(() => Apply(target, operations));

    // RFC 6902 appendix A: the examples that succeed.
    [Theory]
    [InlineData("A.1 add an object member", """{"foo":"bar"}""",
        """[{"op":"add","path":"/baz","value":"qux"}]""", """{"baz":"qux","foo":"bar"}""")]
    [InlineData("A.2 add an array element", """{"foo":["bar","baz"]}""",
        """[{"op":"add","path":"/foo/1","value":"qux"}]""", """{"foo":["bar","qux","baz"]}""")]
    [InlineData("A.3 remove an object member", """{"baz":"qux","foo":"bar"}""",
        """[{"op":"remove","path":"/baz"}]""", """{"foo":"bar"}""")]
    [InlineData("A.4 remove an array element", """{"foo":["bar","qux","baz"]}""",
        """[{"op":"remove","path":"/foo/1"}]""", """{"foo":["bar","baz"]}""")]
    [InlineData("A.5 replace a value", """{"baz":"qux","foo":"bar"}""",
        """[{"op":"replace","path":"/baz","value":"boo"}]""", """{"baz":"boo","foo":"bar"}""")]
    [InlineData("A.6 move a value", """{"foo":{"bar":"baz","waldo":"fred"},"qux":{"corge":"grault"}}""",
        """[{"op":"move","from":"/foo/waldo","path":"/qux/thud"}]""",
        """{"foo":{"bar":"baz"},"qux":{"corge":"grault","thud":"fred"}}""")]
    [InlineData("A.7 move an array element", """{"foo":["all","grass","cows","eat"]}""",
        """[{"op":"move","from":"/foo/1","path":"/foo/3"}]""", """{"foo":["all","cows","eat","grass"]}""")]
    [InlineData("A.8 test a value: success", """{"baz":"qux","foo":["a",2,"c"]}""",
        """[{"op":"test","path":"/baz","value":"qux"},{"op":"test","path":"/foo/1","value":2}]""",
        """{"baz":"qux","foo":["a",2,"c"]}""")]
    [InlineData("A.10 add a nested member object", """{"foo":"bar"}""",
        """[{"op":"add","path":"/child","value":{"grandchild":{}}}]""", """{"foo":"bar","child":{"grandchild":{}}}""")]
    [InlineData("A.11 ignore unrecognized elements", """{"foo":"bar"}""",
        """[{"op":"add","path":"/baz","value":"qux","xyz":123}]""", """{"foo":"bar","baz":"qux"}""")]
    [InlineData("A.14 ~ escape ordering", """{"/":9,"~1":10}""",
        """[{"op":"test","path":"/~01","value":10}]""", """{"/":9,"~1":10}""")]
    [InlineData("A.16 add an array value", """{"foo":["bar"]}""",
        """[{"op":"add","path":"/foo/-","value":["abc","def"]}]""", """{"foo":["bar",["abc","def"]]}""")]
    [InlineData("copy", """{"a":{"b":[1]}}""",
        """[{"op":"copy","from":"/a/b","path":"/c"},{"op":"add","path":"/c/-","value":2}]""", """{"a":{"b":[1]},"c":[1,2]}""")]
    [InlineData("replace the whole document", """{"a":1}""",
        """[{"op":"replace","path":"","value":[1]}]""", """[1]""")]
    [InlineData("null is a value", """{"a":1}""",
        """[{"op":"add","path":"/b","value":null},{"op":"test","path":"/b","value":null}]""", """{"a":1,"b":null}""")]
    [InlineData("numbers compare by value", """{"a":1.0}""",
        """[{"op":"test","path":"/a","value":1}]""", """{"a":1.0}""")]
    [InlineData("objects compare without member order", """{"a":{"x":1,"y":[2]}}""",
        """[{"op":"test","path":"/a","value":{"y":[2],"x":1}}]""", """{"a":{"x":1,"y":[2]}}""")]
    public void Rfc6902Examples(string name, string target, string operations, string expected)
    {
        Assert.NotEmpty(name);
        Json.Equal(expected, Apply(target, operations));
    }

    // RFC 6901 section 5: each pointer into the example document finds its value.
    [Theory]
    [InlineData("", null)]
    [InlineData("/foo", """["bar","baz"]""")]
    [InlineData("/foo/0", "\"bar\"")]
    [InlineData("/", "0")]
    [InlineData("/a~1b", "1")]
    [InlineData("/c%d", "2")]
    [InlineData("/e^f", "3")]
    [InlineData("/g|h", "4")]
    [InlineData("/i\\j", "5")]
    [InlineData("/k\"l", "6")]
    [InlineData("/ ", "7")]
    [InlineData("/m~0n", "8")]
    public void Rfc6901Pointers(string pointer, string? value)
    {
        const string document = """{"foo":["bar","baz"],"":0,"a/b":1,"c%d":2,"e^f":3,"g|h":4,"i\\j":5,"k\"l":6," ":7,"m~n":8}""";
        var expected = value ?? document;
        var operations = new JsonArray(new JsonObject { ["op"] = "test", ["path"] = pointer, ["value"] = Json.Parse(expected) });
        Json.Equal(document, JsonPatch.Apply(Json.Parse(document), operations));
    }

    [Fact]
    public void A9FailedTestIs422WithItsIndexAndPath()
    {
        var e = Fails("""{"baz":"qux"}""", """[{"op":"test","path":"/baz","value":"bar"}]""");
        Assert.Equal(PatchFailure.TestFailed, e.Failure);
        Assert.Equal(422, e.StatusCode);
        Assert.Equal(0, e.OperationIndex);
        Assert.Equal("/baz", e.Path);
        Assert.Equal("""json patch operation 0 (test "/baz"): test failed: expected "bar", found "qux" """.TrimEnd(), e.Message);
    }

    [Fact]
    public void A12AddToANonexistentTarget()
    {
        var e = Fails("""{"foo":"bar"}""", """[{"op":"add","path":"/baz/bat","value":"qux"}]""");
        Assert.Equal(PatchFailure.Unprocessable, e.Failure);
        Assert.Equal("""json patch operation 0 (add "/baz/bat"): the parent of the path does not exist""", e.Message);
    }

    [Fact]
    public void A15StringsAreNotNumbers()
    {
        var e = Fails("""{"/":9,"~1":10}""", """[{"op":"test","path":"/~01","value":"10"}]""");
        Assert.Equal(PatchFailure.TestFailed, e.Failure);
    }

    [Theory]
    [InlineData("""[{"op":"add","path":"/a","value":1},{"op":"remove","path":"/nope"}]""", 1,
        """json patch operation 1 (remove "/nope"): the path does not exist""")]
    [InlineData("""[{"op":"replace","path":"/x/5","value":1}]""", 0,
        """json patch operation 0 (replace "/x/5"): array index "5" is not a valid index or out of range (length 2)""")]
    [InlineData("""[{"op":"add","path":"/x/3","value":1}]""", 0,
        """json patch operation 0 (add "/x/3"): array index "3" is not a valid index or out of range (length 2)""")]
    [InlineData("""[{"op":"add","path":"/x/01","value":1}]""", 0,
        """json patch operation 0 (add "/x/01"): array index "01" is not a valid index or out of range (length 2)""")]
    [InlineData("""[{"op":"remove","path":"/x/-"}]""", 0,
        """json patch operation 0 (remove "/x/-"): array index "-" is not a valid index or out of range (length 2)""")]
    [InlineData("""[{"op":"jump","path":"/x"}]""", 0, """json patch operation 0 (jump "/x"): unknown operation "jump" """)]
    [InlineData("""[{"path":"/x"}]""", 0, """json patch operation 0 (? "/x"): missing or non-string "op" """)]
    [InlineData("""[{"op":"add","path":"/y"}]""", 0, """json patch operation 0 (add "/y"): missing "value" """)]
    [InlineData("""[{"op":"add","path":"y","value":1}]""", 0,
        """json patch operation 0 (add "y"): invalid path: a JSON pointer must be empty or start with '/'""")]
    [InlineData("""[{"op":"add","path":"/a~2","value":1}]""", 0,
        """json patch operation 0 (add "/a~2"): invalid path: '~' must be followed by '0' or '1'""")]
    [InlineData("""[{"op":"move","from":"/a","path":"/a/b"}]""", 0,
        """json patch operation 0 (move "/a/b"): cannot move a value into one of its own children""")]
    [InlineData("""[{"op":"copy","from":"/zz","path":"/b"}]""", 0,
        """json patch operation 0 (copy "/b"): "from" location "/zz" does not exist""")]
    [InlineData("""[{"op":"move","path":"/b"}]""", 0, """json patch operation 0 (move "/b"): missing or non-string "from" """)]
    [InlineData("""[{"op":"add","path":"/s/t","value":1}]""", 0,
        """json patch operation 0 (add "/s/t"): the parent of the path is neither an object nor an array""")]
    [InlineData("""[{"op":"remove","path":""}]""", 0, """json patch operation 0 (remove ""): cannot remove the whole document""")]
    public void ErrorsNameTheOperationAndPath(string operations, int index, string message)
    {
        var e = Fails("""{"a":{},"x":[1,2],"s":"str"}""", operations);
        Assert.Equal(PatchFailure.Unprocessable, e.Failure);
        Assert.Equal(422, e.StatusCode);
        Assert.Equal(index, e.OperationIndex);
        Assert.Equal(message.TrimEnd(), e.Message);
    }

    [Fact]
    public void AnOperationThatIsNotAnObjectIsABadRequest()
    {
        var e = Fails("{}", """[{"op":"add","path":"/a","value":1},"add"]""");
        Assert.Equal(PatchFailure.BadRequest, e.Failure);
        Assert.Equal(400, e.StatusCode);
        Assert.Equal(1, e.OperationIndex);
    }

    [Fact]
    public void AFailedPatchLeavesTheTargetUntouched()
    {
        var target = Json.Parse("""{"a":[1,2]}""");
        Assert.Throws<PatchException>(() => JsonPatch.Apply(target, Json.Array(
            """[{"op":"remove","path":"/a/0"},{"op":"add","path":"/b","value":1},{"op":"test","path":"/b","value":2}]""")));
        Json.Equal("""{"a":[1,2]}""", target);
    }

    [Fact]
    public void KubernetesStyleContainerImagePatch()
    {
        Json.Equal("""{"spec":{"containers":[{"name":"a","image":"busybox:latest"}]}}""",
            Apply("""{"spec":{"containers":[{"name":"a","image":"busybox"}]}}""",
                """[{"op":"replace","path":"/spec/containers/0/image","value":"busybox:latest"}]"""));
    }
}
