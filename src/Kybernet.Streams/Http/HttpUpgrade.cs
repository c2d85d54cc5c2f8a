using System.Globalization;
using System.Text;

namespace Kybernet.Streams.Http;

/// <summary>
/// The client half of an HTTP/1.1 upgrade (SPDY/3.1 for exec, attach and port-forward) over a connection we already
/// have (TCP, or TLS to a kubelet): the request, then the answer's head read byte by byte so nothing after it is taken
/// from the connection. On 101 the connection is the new protocol's; on anything else the answer's body (at most
/// 64 KiB: an error text) is read too.
/// </summary>
public static class HttpUpgrade
{
    private const int MaxHead = 16 * 1024, MaxBody = 64 * 1024;

    public sealed record Answer(int Status, string Reason, IReadOnlyList<KeyValuePair<string, string>> Headers, string Body)
    {
        public bool Upgraded => Status == 101;

        public IEnumerable<string> Values(string name) =>
            Headers.Where(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value);
    }

    public static async Task<Answer> RequestAsync(Stream connection, string method, string host, string pathAndQuery,
        IEnumerable<KeyValuePair<string, string>> headers, CancellationToken cancellationToken)
    {
        var request = new StringBuilder();
        request.Append(CultureInfo.InvariantCulture, $"{method} {pathAndQuery} HTTP/1.1\r\nHost: {host}\r\n");
        foreach (var (name, value) in headers)
        {
            if (name.Contains('\r') || name.Contains('\n') || value.Contains('\r') || value.Contains('\n'))
                throw new ArgumentException($"header {name} has a line break");
            request.Append(CultureInfo.InvariantCulture, $"{name}: {value}\r\n");
        }
        if (method is "POST" or "PUT")
            request.Append("Content-Length: 0\r\n");
        request.Append("\r\n");
        await connection.WriteAsync(Encoding.ASCII.GetBytes(request.ToString()), cancellationToken);
        await connection.FlushAsync(cancellationToken);

        var lines = await ReadHeadAsync(connection, cancellationToken);
        var status = lines[0].Split(' ', 3);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(status[1], CultureInfo.InvariantCulture, out var code))
            throw new InvalidDataException($"not an HTTP answer: {lines[0]}");
        var answerHeaders = lines.Skip(1).Where(l => l.Length > 0).Select(l => l.Split(':', 2))
            .Select(p => new KeyValuePair<string, string>(p[0].Trim(), p.Length > 1 ? p[1].Trim() : "")).ToList();
        var answer = new Answer(code, status.Length > 2 ? status[2] : "", answerHeaders, "");
        return code == 101 ? answer : answer with { Body = await ReadBodyAsync(connection, answer, cancellationToken) };
    }

    /// <summary>The status line and header lines, up to the empty line that ends them.</summary>
    private static async Task<List<string>> ReadHeadAsync(Stream connection, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        var size = 0;
        while (await ReadLineAsync(connection, MaxHead - size, cancellationToken) is { Length: > 0 } line)
        {
            lines.Add(line);
            size += line.Length + 2;
        }
        return lines.Count > 0 ? lines : throw new InvalidDataException("the HTTP answer has no status line");
    }

    private static async Task<string> ReadBodyAsync(Stream connection, Answer answer, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        var buffer = new byte[8192];
        if (answer.Values("Content-Length").FirstOrDefault() is { } text && long.TryParse(text, CultureInfo.InvariantCulture, out var length))
        {
            var data = new byte[(int)Math.Min(length, MaxBody)];
            await connection.ReadExactlyAsync(data, cancellationToken);
            body.Write(data);
        }
        else if (answer.Values("Transfer-Encoding").Any(v => v.Contains("chunked", StringComparison.OrdinalIgnoreCase)))
        {
            while (body.Length < MaxBody)
            {
                var sizeLine = await ReadLineAsync(connection, MaxHead, cancellationToken);
                var size = int.Parse(sizeLine.Split(';')[0].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                    break;
                var chunk = new byte[size];
                await connection.ReadExactlyAsync(chunk, cancellationToken);
                body.Write(chunk);
                await ReadLineAsync(connection, MaxHead, cancellationToken);
            }
        }
        else
        {
            int n;
            while (body.Length < MaxBody && (n = await connection.ReadAsync(buffer, cancellationToken)) > 0)
                body.Write(buffer, 0, n);
        }
        return Encoding.UTF8.GetString(body.ToArray());
    }

    /// <summary>
    /// One line without its CR LF, read a byte at a time so nothing after it is taken from the connection (after a
    /// 101 that is the new protocol's). The connection ending first, or a line over <paramref name="max"/> bytes, fails.
    /// </summary>
    private static async Task<string> ReadLineAsync(Stream connection, int max, CancellationToken cancellationToken)
    {
        var line = new List<byte>();
        var one = new byte[1];
        while (true)
        {
            if (await connection.ReadAsync(one, cancellationToken) == 0)
                throw new EndOfStreamException("the connection closed inside the HTTP answer's head");
            if (one[0] == '\n')
                return Encoding.ASCII.GetString(line.ToArray());
            if (one[0] != '\r')
                line.Add(one[0]);
            if (line.Count > max)
                throw new InvalidDataException($"the HTTP answer's head is longer than {MaxHead} bytes");
        }
    }
}
