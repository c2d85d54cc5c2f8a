using System.Net.WebSockets;

namespace Kybernet.Streams.Relays;

/// <summary>
/// A byte stream carried in WebSocket binary messages, as kubectl tunnels port-forward's SPDY
/// (<see cref="StreamProtocols.TunnelledPortForward"/>): each message's payload is the next bytes of the stream, with
/// no framing of its own. Relays such a WebSocket to a plain connection until either ends.
/// </summary>
public static class WebSocketTunnel
{
    public static async Task PipeAsync(WebSocket socket, Stream connection, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var up = FromSocketAsync(socket, connection, stop.Token);
        var down = ToSocketAsync(connection, socket, stop.Token);
        await Task.WhenAny(up, down);
        await stop.CancelAsync();
        await connection.DisposeAsync();
        await Task.WhenAll(Quiet(up), Quiet(down));
        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var closing = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await Quiet(socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, closing.Token));
        }
    }

    private static async Task FromSocketAsync(WebSocket socket, Stream connection, CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer.AsMemory(), cancellationToken);
            if (received.MessageType == WebSocketMessageType.Close)
                return;
            await connection.WriteAsync(buffer.AsMemory(0, received.Count), cancellationToken);
            await connection.FlushAsync(cancellationToken);
        }
    }

    private static async Task ToSocketAsync(Stream connection, WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        int n;
        while ((n = await connection.ReadAsync(buffer, cancellationToken)) > 0)
            await socket.SendAsync(buffer.AsMemory(0, n), WebSocketMessageType.Binary, endOfMessage: true, cancellationToken);
    }

    private static async Task Quiet(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or WebSocketException)
        {
        }
    }
}
