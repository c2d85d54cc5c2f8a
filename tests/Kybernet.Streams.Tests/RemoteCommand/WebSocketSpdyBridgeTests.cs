using System.Net.WebSockets;
using System.Text;
using Kybernet.Streams.RemoteCommand;
using Kybernet.Streams.Spdy;
using Kybernet.Streams.Tests.Spdy;

namespace Kybernet.Streams.Tests.RemoteCommand;

/// <summary>kubectl's WebSocket channels on one side, a runtime's SPDY streams on the other.</summary>
public sealed class WebSocketSpdyBridgeTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private sealed record Session(WebSocket Kubectl, SpdyPeer Runtime, Task Bridge, Dictionary<string, uint> Streams);

    private static async Task<Session> Start(RemoteCommandStreams streams)
    {
        var (serverSide, clientSide) = DuplexPair.Create();
        var kubectl = WebSocket.CreateFromStream(clientSide, new WebSocketCreationOptions { IsServer = false, SubProtocol = StreamProtocols.WebSocketV5 });
        var socket = WebSocket.CreateFromStream(serverSide, new WebSocketCreationOptions { IsServer = true, SubProtocol = StreamProtocols.WebSocketV5 });
        var (ours, theirs) = DuplexPair.Create();
        var runtime = new SpdyPeer(theirs);
        var bridge = new WebSocketSpdyBridge(socket, new SpdyConnection(ours), streams).RunAsync(CancellationToken.None);
        var opened = new Dictionary<string, uint>();
        foreach (var _ in streams.SpdyStreamTypes())
        {
            var syn = (await runtime.ReadAsync().WaitAsync(Patience))!;
            var id = SpdyFrames.StreamIdAt(syn.Body);
            opened[syn.Headers!.Single(h => h.Key == "streamtype").Value] = id;
            await runtime.ReplyAsync(id);
        }
        return new Session(kubectl, runtime, bridge, opened);
    }

    private static async Task<(WebSocketMessageType Type, byte[] Data)> Receive(WebSocket socket)
    {
        var buffer = new byte[4096];
        var result = await socket.ReceiveAsync(buffer, CancellationToken.None).WaitAsync(Patience);
        return (result.MessageType, buffer[..result.Count]);
    }

    private static byte[] Message(byte channel, string text) => [channel, .. Encoding.UTF8.GetBytes(text)];

    [Fact]
    public async Task Stdin_goes_in_and_ends_output_and_the_exit_status_come_out_on_their_channels()
    {
        var s = await Start(new RemoteCommandStreams(Stdin: true, Stdout: true, Stderr: true, Tty: false));
        Assert.Equal(["error", "stdin", "stdout", "stderr"], s.Streams.Keys);

        await s.Kubectl.SendAsync(Message(0, "echo hi\n"), WebSocketMessageType.Binary, true, CancellationToken.None);
        await s.Kubectl.SendAsync(new byte[] { 255, 0 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        var stdin = (await s.Runtime.ReadAsync())!;
        Assert.Equal((s.Streams["stdin"], "echo hi\n"), (stdin.Header.StreamId, Encoding.UTF8.GetString(stdin.Body)));
        var eof = (await s.Runtime.ReadAsync())!;
        Assert.Equal((s.Streams["stdin"], 0, SpdyFrames.Fin), (eof.Header.StreamId, eof.Header.Length, eof.Header.Flags));

        const string status = """{"metadata":{},"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}""";
        await s.Runtime.DataAsync(s.Streams["stdout"], Encoding.UTF8.GetBytes("hi\n"));
        await s.Runtime.DataAsync(s.Streams["stderr"], Encoding.UTF8.GetBytes("oops\n"));
        await s.Runtime.DataAsync(s.Streams["error"], Encoding.UTF8.GetBytes(status[..20]));
        await s.Runtime.DataAsync(s.Streams["error"], Encoding.UTF8.GetBytes(status[20..]), fin: true);
        s.Runtime.Dispose();

        Assert.Equal(Message(1, "hi\n"), (await Receive(s.Kubectl)).Data);
        Assert.Equal(Message(2, "oops\n"), (await Receive(s.Kubectl)).Data);
        Assert.Equal(Message(3, status), (await Receive(s.Kubectl)).Data); // whole, once the runtime is done
        Assert.Equal(WebSocketMessageType.Close, (await Receive(s.Kubectl)).Type);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, s.Kubectl.CloseStatus);
        await s.Kubectl.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None); // the bridge waits for this
        await s.Bridge.WaitAsync(Patience);
    }

    [Fact]
    public async Task Under_a_terminal_there_is_no_stderr_and_resizes_reach_the_resize_stream()
    {
        var s = await Start(new RemoteCommandStreams(Stdin: true, Stdout: true, Stderr: true, Tty: true));
        Assert.Equal(["error", "stdin", "stdout", "resize"], s.Streams.Keys);
        await s.Kubectl.SendAsync(Message(4, """{"Width":120,"Height":40}"""), WebSocketMessageType.Binary, true, CancellationToken.None);
        var resize = (await s.Runtime.ReadAsync())!;
        Assert.Equal((s.Streams["resize"], """{"Width":120,"Height":40}"""), (resize.Header.StreamId, Encoding.UTF8.GetString(resize.Body)));
        s.Runtime.Dispose();
        Assert.Equal(WebSocketMessageType.Close, (await Receive(s.Kubectl)).Type);
        await s.Kubectl.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await s.Bridge.WaitAsync(Patience);
    }

    [Fact]
    public async Task When_kubectl_hangs_up_the_runtime_connection_is_closed()
    {
        var s = await Start(new RemoteCommandStreams(Stdin: false, Stdout: true, Stderr: false, Tty: false));
        await s.Kubectl.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await s.Bridge.WaitAsync(Patience);
        Assert.Null(await s.Runtime.ReadAsync().WaitAsync(Patience)); // end of file: the bridge closed its side
    }
}
