using System.Net.WebSockets;

namespace Kybernet.Streams.Relays;

/// <summary>
/// A byte stream carried in WebSocket binary messages, as kubectl tunnels port-forward's SPDY
/// (<see cref="StreamProtocols.TunnelledPortForward"/>): each message's payload is the next bytes of the stream, with
/// no framing of its own. Relays such a WebSocket to a plain connection until either ends.
/// </summary>
public sealed class WebSocketTunnel
{
    private static readonly TimeSpan ClosePatience = TimeSpan.FromSeconds(5);

    private readonly WebSocket _socket;
    private readonly Stream _connection;
    private volatile bool _connectionGone;

    private WebSocketTunnel(WebSocket socket, Stream connection) => (_socket, _connection) = (socket, connection);

    public static Task PipeAsync(WebSocket socket, Stream connection, CancellationToken cancellationToken) =>
        new WebSocketTunnel(socket, connection).RunAsync(cancellationToken);

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var up = FromSocketAsync(stop.Token);
        var down = ToSocketAsync(stop.Token);
        if (await Task.WhenAny(up, down) == down)
        {
            // The far end closed: say so, then read until the client's close (unread bytes would turn our close into a reset).
            _connectionGone = true;
            using var closing = new CancellationTokenSource(ClosePatience);
            await SessionEnd.AwaitAsync(_socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, closing.Token));
            await SessionEnd.AwaitAsync(up.WaitAsync(ClosePatience, CancellationToken.None));
        }
        await stop.CancelAsync();
        await _connection.DisposeAsync();
        await Task.WhenAll(SessionEnd.AwaitAsync(up), SessionEnd.AwaitAsync(down));
        if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var closing = new CancellationTokenSource(ClosePatience);
            await SessionEnd.AwaitAsync(_socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, closing.Token));
        }
    }

    private async Task FromSocketAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        while (true)
        {
            var received = await _socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
            if (received.MessageType == WebSocketMessageType.Close)
                return;
            if (_connectionGone)
                continue;
            try
            {
                await _connection.WriteAsync(buffer.AsMemory(0, received.Count), cancellationToken);
                await _connection.FlushAsync(cancellationToken);
            }
            catch (Exception e) when (_connectionGone && e is IOException or ObjectDisposedException)
            {
                // The far end went meanwhile; only the client's close is waited for now.
            }
        }
    }

    private async Task ToSocketAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        int n;
        while ((n = await _connection.ReadAsync(buffer, cancellationToken)) > 0)
            await _socket.SendAsync(buffer.AsMemory(0, n), WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
    }
}
