using System.Net;

namespace Kybernet.Kubelet.Tests.Agnhost;

/// <summary>porter: each SERVE_PORT_N variable served on its port.</summary>
public sealed class PorterTests
{
    private static readonly Dictionary<string, string> Ports = new()
    {
        ["SERVE_PORT_9001"] = "foo",
        ["SERVE_PORT_9002"] = "bar baz",
    };

    [Fact]
    public void EachPortAnswersItsVariablesValue()
    {
        using var agnhost = AgnhostInNamespace.Start(["porter"], 9001, Ports);
        agnhost.Process.WaitUntil(() => agnhost.Client.CanConnect(9002), "listening on 9002");
        Assert.Equal((HttpStatusCode.OK, "foo"), agnhost.Client.GetText("http://127.0.0.1:9001/"));
        Assert.Equal((HttpStatusCode.OK, "bar baz"), agnhost.Client.GetText("http://127.0.0.1:9002/whatever?x=1"));
    }

    [Fact]
    public void JsonResponseWrapsTheValueWithTheMethod()
    {
        using var agnhost = AgnhostInNamespace.Start(["porter", "--json-response"], 9001, Ports);
        using var response = agnhost.Client.Get("http://127.0.0.1:9001/");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("{\"Method\":\"GET\",\"Body\":\"foo\"}", NamespaceClient.ReadBody(response));
    }
}
