using System.Text;
using Kybernet.Streams.Spdy;

namespace Kybernet.Streams.Tests.Spdy;

public sealed class SpdyConnectionTests
{
    private sealed class Collected : ISpdyReceiver
    {
        public List<(uint Stream, string Data)> Data { get; } = [];
        public List<uint> Closed { get; } = [];

        public ValueTask DataAsync(SpdyStream stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            lock (Data)
                Data.Add((stream.Id, Encoding.UTF8.GetString(data.Span)));
            return ValueTask.CompletedTask;
        }

        public ValueTask ClosedAsync(SpdyStream stream, CancellationToken cancellationToken)
        {
            lock (Closed)
                Closed.Add(stream.Id);
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task Streams_open_are_answered_carry_data_both_ways_and_half_close()
    {
        var (ours, theirs) = DuplexPair.Create();
        using var peer = new SpdyPeer(theirs);
        await using var connection = new SpdyConnection(ours);
        var received = new Collected();
        var reading = connection.RunAsync(received, CancellationToken.None);

        var error = await connection.OpenStreamAsync([new("streamtype", "error")], CancellationToken.None);
        var stdin = await connection.OpenStreamAsync([new("streamtype", "stdin")], CancellationToken.None);
        var synError = await peer.ReadAsync();
        var synStdin = await peer.ReadAsync();
        Assert.Equal((1u, "error"), (error.Id, synError!.Headers!.Single(h => h.Key == "streamtype").Value));
        Assert.Equal((3u, "stdin"), (stdin.Id, synStdin!.Headers!.Single(h => h.Key == "streamtype").Value));
        Assert.False(error.Replied.IsCompleted);
        await peer.ReplyAsync(1);
        await peer.ReplyAsync(3);
        await error.Replied.WaitAsync(TimeSpan.FromSeconds(10));
        await stdin.Replied.WaitAsync(TimeSpan.FromSeconds(10));

        await stdin.WriteAsync(Encoding.UTF8.GetBytes("hello"), CancellationToken.None);
        await stdin.CloseWriteAsync(CancellationToken.None);
        var data = await peer.ReadAsync();
        Assert.Equal((false, 3u, "hello", (byte)0), (data!.Header.IsControl, data.Header.StreamId, Encoding.UTF8.GetString(data.Body), data.Header.Flags));
        var fin = await peer.ReadAsync();
        Assert.Equal((3u, 0, SpdyFrames.Fin), (fin!.Header.StreamId, fin.Header.Length, fin.Header.Flags));

        await peer.PingAsync(2);
        var pong = await peer.ReadAsync();
        Assert.Equal((true, SpdyFrames.Ping), (pong!.Header.IsControl, pong.Header.Type));
        Assert.Equal(new byte[] { 0, 0, 0, 2 }, pong.Body);

        await peer.DataAsync(1, Encoding.UTF8.GetBytes("{\"status\":\"Success\"}"), fin: true);
        await peer.DataAsync(99, Encoding.UTF8.GetBytes("nobody's")); // a stream never opened: dropped
        peer.Dispose(); // the runtime hangs up
        await reading.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([(1u, "{\"status\":\"Success\"}")], received.Data);
        Assert.Equal([1u], received.Closed);
    }

    [Fact]
    public async Task A_stream_not_answered_before_the_connection_ends_fails()
    {
        var (ours, theirs) = DuplexPair.Create();
        var peer = new SpdyPeer(theirs);
        await using var connection = new SpdyConnection(ours);
        var reading = connection.RunAsync(new Collected(), CancellationToken.None);
        var stream = await connection.OpenStreamAsync([new("streamtype", "stdout")], CancellationToken.None);
        await peer.ReadAsync();
        peer.Dispose();
        await reading.WaitAsync(TimeSpan.FromSeconds(10));
        var e = await Assert.ThrowsAsync<IOException>(() => stream.Replied);
        Assert.Contains("ended before the stream was answered", e.Message);
    }
}
