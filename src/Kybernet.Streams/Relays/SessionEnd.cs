using System.Net.WebSockets;

namespace Kybernet.Streams.Relays;

/// <summary>
/// How the sides of a relay end: when one end closes, the other side's pending read or write fails (closed stream,
/// reset, cancelled, timed out waiting for a close). That is how every relay, tunnel and bridge session ends, not a
/// failure to report; anything else still is.
/// </summary>
public static class SessionEnd
{
    public static async Task AwaitAsync(Task side)
    {
        try
        {
            await side;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException or WebSocketException or TimeoutException)
        {
        }
    }
}
