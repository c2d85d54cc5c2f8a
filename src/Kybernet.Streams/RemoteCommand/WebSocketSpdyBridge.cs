using System.Net.WebSockets;
using Kybernet.Streams.Relays;
using Kybernet.Streams.Spdy;

namespace Kybernet.Streams.RemoteCommand;

/// <summary>
/// Translates a remote command (exec, attach) between kubectl's WebSocket channel protocol
/// (<see cref="StreamProtocols.WebSocketV5"/>, or v4 without its close channel) and the SPDY streams a kubelet and the
/// container runtime speak (<see cref="StreamProtocols.RemoteCommandV4"/>), as upstream's API server does since
/// 1.30: a message's first byte names the channel, the rest is the channel's bytes. Stdin's close (channel 255) becomes
/// a FIN on the stdin stream, so `kubectl exec -i ... &lt; file` ends; the runtime's status (exit code) goes out on the
/// error channel just before the WebSocket closes.
/// </summary>
public sealed class WebSocketSpdyBridge(WebSocket socket, SpdyConnection spdy, RemoteCommandStreams streams)
{
    private static readonly TimeSpan ClosePatience = TimeSpan.FromSeconds(5);

    private volatile bool _runtimeGone;

    /// <summary>How long the runtime may take to answer the streams' opening (upstream waits 30 s as well).</summary>
    public TimeSpan ReplyTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var toClient = new ToClient(socket);
        var reading = spdy.RunAsync(toClient, stop.Token);
        var opened = new Dictionary<string, SpdyStream>();
        foreach (var type in streams.SpdyStreamTypes())
            opened[type] = await spdy.OpenStreamAsync([new(StreamProtocols.StreamType, type)], stop.Token);
        await Task.WhenAll(opened.Values.Select(s => s.Replied)).WaitAsync(ReplyTimeout, stop.Token);

        var fromClient = FromClientAsync(opened.GetValueOrDefault(StreamProtocols.Stdin), opened.GetValueOrDefault(StreamProtocols.Resize), stop.Token);
        var first = await Task.WhenAny(reading, fromClient);
        if (first == reading)
        {
            // The command ended: its exit status, then a normal close. Anything the client still sends is moot, but
            // it is read until the client's own close comes: closing a socket with unread bytes resets it, and a
            // reset can overtake the status on its way.
            _runtimeGone = true;
            using var closing = new CancellationTokenSource(ClosePatience);
            var (status, description) = reading.IsCompletedSuccessfully
                ? (WebSocketCloseStatus.NormalClosure, null)
                : (WebSocketCloseStatus.InternalServerError, Truncate($"the runtime's connection failed: {reading.Exception?.GetBaseException().Message}"));
            if (toClient.Status.Length > 0)
                await toClient.SendAsync(StreamProtocols.ErrorChannel, toClient.Status.ToArray(), closing.Token);
            await socket.CloseOutputAsync(status, description, closing.Token);
            await SessionEnd.AwaitAsync(fromClient.WaitAsync(ClosePatience, CancellationToken.None));
        }
        await stop.CancelAsync();
        await spdy.DisposeAsync();
        await SessionEnd.AwaitAsync(reading);
        await SessionEnd.AwaitAsync(fromClient);
    }

    private async Task FromClientAsync(SpdyStream? stdin, SpdyStream? resize, CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
            if (received.MessageType == WebSocketMessageType.Close)
                return;
            if (received.Count == 0)
                continue;
            var channel = buffer[0];
            await ToRuntimeAsync(channel, buffer.AsMemory(1, received.Count - 1), stdin, resize, cancellationToken);
            while (!received.EndOfMessage)
            {
                received = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
                await ToRuntimeAsync(channel, buffer.AsMemory(0, received.Count), stdin, resize, cancellationToken);
            }
        }
    }

    private async Task ToRuntimeAsync(byte channel, ReadOnlyMemory<byte> data, SpdyStream? stdin, SpdyStream? resize, CancellationToken cancellationToken)
    {
        if (_runtimeGone)
            return;
        try
        {
            await ToStreamAsync(channel, data, stdin, resize, cancellationToken);
        }
        catch (Exception e) when (_runtimeGone && e is IOException or ObjectDisposedException)
        {
            // The runtime hung up meanwhile: the client's close is all that is waited for now.
        }
    }

    private static string Truncate(string text) => text.Length <= 120 ? text : text[..120];

    private static Task ToStreamAsync(byte channel, ReadOnlyMemory<byte> data, SpdyStream? stdin, SpdyStream? resize, CancellationToken cancellationToken) => channel switch
    {
        StreamProtocols.StdinChannel when stdin is not null => stdin.WriteAsync(data, cancellationToken),
        StreamProtocols.ResizeChannel when resize is not null => resize.WriteAsync(data, cancellationToken),
        StreamProtocols.CloseChannel when stdin is not null && data.Span.Contains(StreamProtocols.StdinChannel) => stdin.CloseWriteAsync(cancellationToken),
        _ => Task.CompletedTask, // a channel this command does not have: ignored, as upstream
    };

    /// <summary>The runtime's side: stdout and stderr out on their channels at once, the error stream kept for the end.</summary>
    private sealed class ToClient(WebSocket socket) : ISpdyReceiver
    {
        private byte[] _message = new byte[32 * 1024 + 1];

        public MemoryStream Status { get; } = new();

        public async ValueTask DataAsync(SpdyStream stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            switch (stream.Header(StreamProtocols.StreamType))
            {
                case StreamProtocols.Stdout:
                    await SendAsync(StreamProtocols.StdoutChannel, data, cancellationToken);
                    break;
                case StreamProtocols.Stderr:
                    await SendAsync(StreamProtocols.StderrChannel, data, cancellationToken);
                    break;
                case StreamProtocols.Error when Status.Length < 1024 * 1024:
                    Status.Write(data.Span);
                    break;
            }
        }

        public ValueTask ClosedAsync(SpdyStream stream, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public async Task SendAsync(byte channel, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            if (_message.Length < data.Length + 1)
                _message = new byte[data.Length + 1];
            _message[0] = channel;
            data.CopyTo(_message.AsMemory(1));
            await socket.SendAsync(_message.AsMemory(0, data.Length + 1), WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
        }
    }
}
