using System.Text.Json.Nodes;
using Kybernet.ApiServer.Http;
using Kybernet.Streams;
using Kybernet.Streams.Http;
using Kybernet.Streams.Relays;
using Kybernet.Streams.RemoteCommand;
using Kybernet.Streams.Spdy;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Kybernet.ApiServer.Kubelets;

/// <summary>
/// Connects a client's exec, attach or port-forward to the node's kubelet, which speaks SPDY/3.1 (as upstream kubelets
/// and runtimes do). A client that asks for SPDY gets the kubelet's connection relayed byte for byte. A WebSocket
/// client (kubectl 1.29+ for exec and attach, 1.31+ for port-forward) gets, for a remote command, its v5 channels
/// translated to SPDY streams (<see cref="WebSocketSpdyBridge"/>), and for port-forward its tunnelled SPDY bytes
/// unwrapped (<see cref="WebSocketTunnel"/>). The kubelet is asked first: if it refuses, the client gets its reason as
/// a Status and nothing is upgraded.
/// </summary>
public static class KubeletStreams
{
    private static readonly string[] RemoteCommandWebSocketProtocols = [StreamProtocols.WebSocketV5, "v4.channel.k8s.io"];

    /// <param name="remoteCommand">The streams of an exec or attach; null for a port-forward.</param>
    public static async Task ServeAsync(HttpContext http, KubeletClient kubelet, JsonObject node, string kubeletPath,
        RemoteCommandStreams? remoteCommand, CancellationToken cancellationToken)
    {
        if (http.WebSockets.IsWebSocketRequest)
        {
            var offered = http.WebSockets.WebSocketRequestedProtocols;
            var supported = remoteCommand is not null ? RemoteCommandWebSocketProtocols : [StreamProtocols.TunnelledPortForward];
            var chosen = supported.FirstOrDefault(offered.Contains)
                ?? throw ApiException.BadRequest($"unable to upgrade: none of the WebSocket protocols offered ({string.Join(", ", offered)}) is served; supported: {string.Join(", ", supported)}");
            var (_, connection) = await UpgradeKubeletAsync([remoteCommand is not null ? StreamProtocols.RemoteCommandV4 : StreamProtocols.PortForward]);
            await using var _ = connection;
            // Named in the header by hand: .NET checks a subprotocol is an RFC 6455 token, and "SPDY/3.1+portforward.k8s.io" is not.
            http.Response.Headers.SecWebSocketProtocol = chosen;
            using var socket = await http.WebSockets.AcceptWebSocketAsync();
            if (remoteCommand is not null)
                await new WebSocketSpdyBridge(socket, new SpdyConnection(connection), remoteCommand).RunAsync(cancellationToken);
            else
                await WebSocketTunnel.PipeAsync(socket, connection, cancellationToken);
            return;
        }

        var upgrade = http.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is { IsUpgradableRequest: true } && http.Request.Headers.Upgrade.ToString().Contains(StreamProtocols.Spdy, StringComparison.OrdinalIgnoreCase))
        {
            var versions = http.Request.Headers[StreamProtocols.VersionHeader].OfType<string>().SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries)).ToArray();
            var (answer, connection) = await UpgradeKubeletAsync(versions);
            await using var _ = connection;
            http.Response.Headers.Upgrade = StreamProtocols.Spdy;
            http.Response.Headers[StreamProtocols.VersionHeader] = answer.Values(StreamProtocols.VersionHeader).ToArray();
            await StreamRelay.PipeAsync(await upgrade.UpgradeAsync(), connection, cancellationToken);
            return;
        }
        throw ApiException.BadRequest("Upgrade request required");

        // The kubelet's end, upgraded to SPDY with these protocol versions; its refusal as a Status.
        async Task<(HttpUpgrade.Answer Answer, Stream Connection)> UpgradeKubeletAsync(IEnumerable<string> versions)
        {
            var (answer, connection) = await kubelet.UpgradeAsync(node, "POST", kubeletPath,
                [new("Connection", "Upgrade"), new("Upgrade", StreamProtocols.Spdy), .. versions.Select(v => new KeyValuePair<string, string>(StreamProtocols.VersionHeader, v))],
                cancellationToken);
            if (answer.Upgraded)
                return (answer, connection);
            await connection.DisposeAsync();
            throw Refusal(answer);
        }
    }

    private static ApiException Refusal(HttpUpgrade.Answer answer)
    {
        var message = answer.Body.Trim() is { Length: > 0 } body ? body : $"the kubelet answered {answer.Status} {answer.Reason}";
        return answer.Status switch
        {
            400 => ApiException.BadRequest(message),
            404 => new ApiException(404, "NotFound", message),
            _ => new ApiException(500, "InternalError", message),
        };
    }
}
