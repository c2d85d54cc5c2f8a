namespace Kybernet.Kubelet.Logs;

/// <summary>
/// Copies a container's CRI log file to a reader as plain text, the way `kubectl logs` shows it: the text of each line
/// (with its timestamp first when asked), from the last N lines or a time on, at most a number of bytes; following, it
/// waits for new lines until the container is no longer running and everything it wrote has been sent.
/// </summary>
public static class ContainerLogReader
{
    private const int BlockSize = 64 * 1024;
    private static readonly TimeSpan FollowPoll = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan RunningCheck = TimeSpan.FromSeconds(1);

    /// <param name="isRunning">Asked while following, about once a second: false ends the copy once the file is drained.</param>
    public static async Task CopyAsync(string path, ContainerLogOptions options, Stream output, Func<CancellationToken, Task<bool>> isRunning, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.ReadWrite | FileShare.Delete,
            Options = FileOptions.Asynchronous,
        });
        if (options.TailLines is { } tail)
            file.Position = await TailOffsetAsync(file, tail, cancellationToken);
        var limit = options.LimitBytes ?? long.MaxValue;
        var buffer = new byte[BlockSize];
        var kept = 0; // bytes of an unfinished line at the start of buffer
        var lastRunningCheck = DateTime.UtcNow;
        var running = true;
        while (limit > 0)
        {
            if (kept == buffer.Length)
                Array.Resize(ref buffer, buffer.Length * 2); // a line longer than the buffer (the runtime splits at 16 KiB, so rare)
            var read = await file.ReadAsync(buffer.AsMemory(kept), cancellationToken);
            if (read == 0)
            {
                if (!options.Follow || !running)
                    break;
                await output.FlushAsync(cancellationToken);
                await Task.Delay(FollowPoll, cancellationToken);
                if (DateTime.UtcNow - lastRunningCheck >= RunningCheck)
                {
                    // Read once more after the container stopped: what it wrote last must not be lost.
                    running = await isRunning(cancellationToken);
                    lastRunningCheck = DateTime.UtcNow;
                }
                continue;
            }
            var filled = kept + read;
            var start = 0;
            for (var newline = Array.IndexOf(buffer, (byte)'\n', 0, filled); newline >= 0 && limit > 0; newline = Array.IndexOf(buffer, (byte)'\n', start, filled - start))
            {
                limit = await WriteLineAsync(buffer.AsMemory(start, newline - start), options, output, limit, cancellationToken);
                start = newline + 1;
            }
            kept = filled - start;
            Array.Copy(buffer, start, buffer, 0, kept);
        }
        await output.FlushAsync(cancellationToken);
    }

    /// <summary>Writes one log line's text (and timestamp); returns the bytes still allowed.</summary>
    private static async ValueTask<long> WriteLineAsync(ReadOnlyMemory<byte> raw, ContainerLogOptions options, Stream output, long limit, CancellationToken ct)
    {
        if (CriLogLine.Parse(raw) is not { } line || options.Since is { } since && line.Time < since)
            return limit;
        if (options.Timestamps)
        {
            limit = await WriteLimitedAsync(output, line.Timestamp, limit, ct);
            limit = await WriteLimitedAsync(output, Space, limit, ct);
        }
        limit = await WriteLimitedAsync(output, line.Text, limit, ct);
        return line.Partial ? limit : await WriteLimitedAsync(output, Newline, limit, ct);
    }

    private static readonly byte[] Newline = "\n"u8.ToArray();
    private static readonly byte[] Space = " "u8.ToArray();

    private static async ValueTask<long> WriteLimitedAsync(Stream output, ReadOnlyMemory<byte> bytes, long limit, CancellationToken ct)
    {
        var n = (int)Math.Min(bytes.Length, limit);
        if (n > 0)
            await output.WriteAsync(bytes[..n], ct);
        return limit - n;
    }

    /// <summary>Where the last <paramref name="lines"/> lines start: read backwards from the end, counting newlines.</summary>
    public static async Task<long> TailOffsetAsync(FileStream file, long lines, CancellationToken ct)
    {
        var end = file.Length;
        if (lines == 0)
            return end;
        var buffer = new byte[BlockSize];
        var position = end;
        // Counts the newlines that end lines before the wanted ones; the file's own last newline does not count.
        var newlines = -1L;
        while (position > 0)
        {
            var size = (int)Math.Min(buffer.Length, position);
            position -= size;
            file.Position = position;
            await file.ReadExactlyAsync(buffer.AsMemory(0, size), ct);
            for (var i = size - 1; i >= 0; i--)
            {
                if (buffer[i] != (byte)'\n')
                    continue;
                if (position + i == end - 1)
                    continue; // the newline that ends the file
                if (++newlines == lines - 1)
                    return position + i + 1;
            }
        }
        return 0;
    }
}
