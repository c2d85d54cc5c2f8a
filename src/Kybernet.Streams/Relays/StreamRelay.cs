namespace Kybernet.Streams.Relays;

/// <summary>
/// Copies bytes both ways between two connections (an upgraded client and the runtime's or kubelet's end) until either
/// side ends; then both are closed, which ends the other copy. What one side wrote before it closed is passed on first.
/// </summary>
public static class StreamRelay
{
    public static async Task PipeAsync(Stream a, Stream b, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var forward = CopyAsync(a, b, stop.Token);
        var backward = CopyAsync(b, a, stop.Token);
        await Task.WhenAny(forward, backward);
        await stop.CancelAsync();
        await a.DisposeAsync();
        await b.DisposeAsync();
        await Task.WhenAll(SessionEnd.AwaitAsync(forward), SessionEnd.AwaitAsync(backward));
    }

    private static async Task CopyAsync(Stream from, Stream to, CancellationToken cancellationToken)
    {
        var buffer = new byte[32 * 1024];
        int n;
        while ((n = await from.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await to.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
            await to.FlushAsync(cancellationToken);
        }
    }
}
