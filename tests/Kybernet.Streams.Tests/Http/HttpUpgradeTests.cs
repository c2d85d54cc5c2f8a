using System.Text;
using Kybernet.Streams.Http;

namespace Kybernet.Streams.Tests.Http;

public sealed class HttpUpgradeTests
{
    private static async Task<(HttpUpgrade.Answer Answer, Stream Ours)> Ask(string answer)
    {
        var (ours, theirs) = DuplexPair.Create();
        await theirs.WriteAsync(Encoding.ASCII.GetBytes(answer));
        await theirs.FlushAsync();
        var result = await HttpUpgrade.RequestAsync(ours, "POST", "10.0.0.1:10250", "/exec/default/p/c?command=sh&input=1",
            [new("Connection", "Upgrade"), new("Upgrade", "SPDY/3.1"), new("X-Stream-Protocol-Version", "v4.channel.k8s.io")], CancellationToken.None);
        theirs.Dispose();
        return (result, ours);
    }

    [Fact]
    public async Task A_101_leaves_what_follows_the_head_on_the_connection()
    {
        var (answer, ours) = await Ask("HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\nSPDY BYTES");
        Assert.True(answer.Upgraded);
        Assert.Equal(["v4.channel.k8s.io"], answer.Values("x-stream-protocol-version"));
        var rest = new byte[10];
        await ours.ReadExactlyAsync(rest);
        Assert.Equal("SPDY BYTES", Encoding.ASCII.GetString(rest));
    }

    [Fact]
    public async Task Refusals_come_with_their_body_whether_sized_or_chunked()
    {
        var (sized, _) = await Ask("HTTP/1.1 404 Not Found\r\nContent-Length: 27\r\n\r\ncontainer not found (\"web\")");
        Assert.Equal((404, "container not found (\"web\")"), (sized.Status, sized.Body));
        var (chunked, _) = await Ask("HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        Assert.Equal((400, "hello world"), (chunked.Status, chunked.Body));
    }

    [Fact]
    public async Task The_request_is_http_1_1_with_its_headers_and_an_empty_body()
    {
        var (ours, theirs) = DuplexPair.Create();
        var asking = HttpUpgrade.RequestAsync(ours, "POST", "10.0.0.1:10250", "/portForward/default/p",
            [new("Upgrade", "SPDY/3.1"), new("X-Stream-Protocol-Version", "portforward.k8s.io")], CancellationToken.None);
        var buffer = new byte[4096];
        var text = new StringBuilder();
        while (!text.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            text.Append(Encoding.ASCII.GetString(buffer, 0, await theirs.ReadAsync(buffer)));
        Assert.Equal("POST /portForward/default/p HTTP/1.1\r\nHost: 10.0.0.1:10250\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\nContent-Length: 0\r\n\r\n", text.ToString());
        await theirs.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 101 Switching Protocols\r\n\r\n"));
        Assert.True((await asking).Upgraded);
    }
}
