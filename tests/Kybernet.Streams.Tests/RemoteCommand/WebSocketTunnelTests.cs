using System.Net.WebSockets;
using System.Text;
using Kybernet.Streams.Relays;

namespace Kybernet.Streams.Tests.RemoteCommand;

public sealed class WebSocketTunnelTests
{
    [Fact]
    public async Task Bytes_cross_both_ways_and_the_far_end_closing_closes_the_websocket()
    {
        var (serverSide, clientSide) = DuplexPair.Create();
        using var kubectl = WebSocket.CreateFromStream(clientSide, new WebSocketCreationOptions { IsServer = false });
        var socket = WebSocket.CreateFromStream(serverSide, new WebSocketCreationOptions { IsServer = true });
        var (ours, kubelet) = DuplexPair.Create();
        var tunnel = WebSocketTunnel.PipeAsync(socket, ours, CancellationToken.None);

        await kubectl.SendAsync(Encoding.ASCII.GetBytes("SYN_STREAM..."), WebSocketMessageType.Binary, true, CancellationToken.None);
        var up = new byte[13];
        await kubelet.ReadExactlyAsync(up);
        Assert.Equal("SYN_STREAM...", Encoding.ASCII.GetString(up));

        await kubelet.WriteAsync(Encoding.ASCII.GetBytes("SYN_REPLY"));
        await kubelet.FlushAsync();
        var buffer = new byte[64];
        var down = await kubectl.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Equal((WebSocketMessageType.Binary, "SYN_REPLY"), (down.MessageType, Encoding.ASCII.GetString(buffer, 0, down.Count)));

        kubelet.Dispose();
        Assert.Equal(WebSocketMessageType.Close, (await kubectl.ReceiveAsync(buffer, CancellationToken.None)).MessageType);
        await kubectl.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await tunnel.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(WebSocketState.Closed, kubectl.State);
    }
}
