namespace Kybernet.Streams.Spdy;

/// <summary>
/// One stream of a <see cref="SpdyConnection"/> that we opened: the headers we sent (Kubernetes names a stream's role
/// in its <c>streamtype</c> header), the peer's reply, and our half of it (data, then FIN).
/// </summary>
public sealed class SpdyStream
{
    private readonly SpdyConnection _connection;
    private readonly TaskCompletionSource<IReadOnlyList<KeyValuePair<string, string>>> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _finSent;

    internal SpdyStream(SpdyConnection connection, uint id, IReadOnlyList<KeyValuePair<string, string>> headers) =>
        (_connection, Id, Headers) = (connection, id, headers);

    public uint Id { get; }

    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>The value of one of our headers (e.g. <c>streamtype</c>), or null.</summary>
    public string? Header(string name) => Headers.FirstOrDefault(h => h.Key == name).Value;

    /// <summary>Completes with the peer's SYN_REPLY headers; fails if the stream is reset or the connection ends first.</summary>
    public Task<IReadOnlyList<KeyValuePair<string, string>>> Replied => _reply.Task;

    /// <summary>The peer sent FIN or reset the stream: nothing more comes from it.</summary>
    public bool RemoteClosed { get; private set; }

    public Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        data.IsEmpty ? Task.CompletedTask : _connection.WriteDataAsync(Id, data, fin: false, cancellationToken);

    /// <summary>Half-closes the stream (an empty data frame with FIN): the peer reads end of file. Once only.</summary>
    public Task CloseWriteAsync(CancellationToken cancellationToken) =>
        Interlocked.Exchange(ref _finSent, 1) == 0 ? _connection.WriteDataAsync(Id, ReadOnlyMemory<byte>.Empty, fin: true, cancellationToken) : Task.CompletedTask;

    internal void OnReply(IReadOnlyList<KeyValuePair<string, string>> headers) => _reply.TrySetResult(headers);

    internal void OnRemoteClosed(string? why)
    {
        RemoteClosed = true;
        if (why is not null)
            _reply.TrySetException(new IOException(why));
    }
}

/// <summary>What a <see cref="SpdyConnection"/>'s reader hands on, in the order it came off the wire.</summary>
public interface ISpdyReceiver
{
    /// <summary>Data on a stream. The memory is the reader's buffer: use it before returning.</summary>
    ValueTask DataAsync(SpdyStream stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>The peer ended the stream (FIN, or a reset).</summary>
    ValueTask ClosedAsync(SpdyStream stream, CancellationToken cancellationToken);
}
