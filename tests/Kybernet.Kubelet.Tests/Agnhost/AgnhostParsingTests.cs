using Kybernet.Agnhost;
using Kybernet.Agnhost.Http;

namespace Kybernet.Kubelet.Tests.Agnhost;

/// <summary>agnhost's parsing in-process: request heads, query strings, Go durations, JSON escaping, flags.</summary>
public sealed class AgnhostParsingTests
{
    [Fact]
    public void ARequestHeadIsParsedWithDecodedQueryAndCanonicalHeaders()
    {
        var request = HttpServer.Parse("GET /echo?msg=a+b%26c&code=201&msg=second HTTP/1.1\r\nhost: x\r\nx-forwarded-for:  10.0.0.1 \r\n", "1.2.3.4:5", out var error);
        Assert.Null(error);
        Assert.NotNull(request);
        Assert.Equal(("GET", "/echo"), (request.Method, request.Path));
        Assert.Equal("a b&c", request.Form("msg")); // the first value, as Go's FormValue
        Assert.Equal("201", request.Form("code"));
        Assert.Equal("", request.Form("absent"));
        Assert.Equal([new("Host", "x"), new("X-Forwarded-For", "10.0.0.1")], request.Headers);
        Assert.Equal("10.0.0.1", request.Header("X-FORWARDED-FOR"));
    }

    [Fact]
    public void AnAbsoluteFormTargetKeepsOnlyItsPath()
    {
        var request = HttpServer.Parse("GET http://example/hostname?x=1 HTTP/1.1\r\n", "r", out _);
        Assert.Equal(("/hostname", "1"), (request!.Path, request.Form("x")));
    }

    [Theory]
    [InlineData("GARBAGE")]
    [InlineData("GET /x SPDY/3")]
    [InlineData("GET noslash HTTP/1.1")]
    [InlineData("GET /x HTTP/1.1\r\nno colon here")]
    public void AMalformedHeadIsRejectedWithAReason(string head)
    {
        Assert.Null(HttpServer.Parse(head, "r", out var error));
        Assert.StartsWith("malformed", error);
    }

    [Theory]
    [InlineData("%41%42c", false, "ABc")]
    [InlineData("a+b", true, "a b")]
    [InlineData("a+b", false, "a+b")]
    [InlineData("100%", true, "100%")]
    [InlineData("%zz", true, "%zz")]
    [InlineData("%C3%A9t%C3%A9", true, "été")]
    public void PercentDecoding(string encoded, bool plusIsSpace, string decoded) =>
        Assert.Equal(decoded, UrlEncoding.Decode(encoded, plusIsSpace));

    [Theory]
    [InlineData("0", 0)]
    [InlineData("1s", 1000)]
    [InlineData("250ms", 250)]
    [InlineData("1m30s", 90_000)]
    [InlineData("1.5h", 5_400_000)]
    public void GoDurations(string text, int milliseconds)
    {
        Assert.True(GoDuration.TryParse(text, out var duration));
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5")]
    [InlineData("1parsec")]
    public void NotGoDurations(string text) => Assert.False(GoDuration.TryParse(text, out _));

    [Fact]
    public void JsonEscapesAsGoDoes() =>
        Assert.Equal("{\"output\":\"a\\\"b\\\\c\\n\\u003ctag\\u003e \\u0026 \\u0001\"}", Json.Object([new("output", "a\"b\\c\n<tag> & \u0001")]));

    [Fact]
    public void FlagsTakeGoForms()
    {
        var flags = Flags.Parse(["--port=80", "--udp", "-timeout", "2s", "host:1", "--http=false"], ["port", "timeout"], ["udp", "http"]);
        Assert.Equal(80, flags.Int("port", 0));
        Assert.True(flags.Bool("udp", false));
        Assert.False(flags.Bool("http", true));
        Assert.Equal(TimeSpan.FromSeconds(2), flags.Duration("timeout", TimeSpan.Zero));
        Assert.Equal(["host:1"], flags.Positional);
        Assert.Throws<FormatException>(() => Flags.Parse(["--bogus"], [], []));
        Assert.Throws<FormatException>(() => Flags.Parse(["--port"], ["port"], []));
    }
}
