using System.Globalization;
using System.Text;

namespace Kybernet.Kubelet.Logs;

/// <summary>
/// One line of a container log as the runtime writes it (the CRI logging format):
/// <c>2026-12-02T21:30:08.123456789Z stdout F text</c>: an RFC 3339 time with nanoseconds, the stream, F for a full
/// line or P for a part of a longer one (the text of a P line has no newline of its own), then the text.
/// </summary>
public readonly record struct CriLogLine(DateTimeOffset Time, ReadOnlyMemory<byte> Timestamp, bool Stderr, bool Partial, ReadOnlyMemory<byte> Text)
{
    /// <summary>Parses one line (without its newline); null when it is not in the CRI format.</summary>
    public static CriLogLine? Parse(ReadOnlyMemory<byte> line)
    {
        var span = line.Span;
        var first = span.IndexOf((byte)' ');
        if (first <= 0)
            return null;
        var rest = span[(first + 1)..];
        var second = rest.IndexOf((byte)' ');
        if (second <= 0)
            return null;
        var stream = rest[..second];
        var afterStream = rest[(second + 1)..];
        var third = afterStream.IndexOf((byte)' ');
        // The tag may be followed by nothing at all on an empty full line ("... stdout F").
        var tag = third < 0 ? afterStream : afterStream[..third];
        if (tag.Length == 0 || (tag[0] != (byte)'F' && tag[0] != (byte)'P'))
            return null;
        bool stderr;
        if (stream.SequenceEqual("stdout"u8))
            stderr = false;
        else if (stream.SequenceEqual("stderr"u8))
            stderr = true;
        else
            return null;
        if (!DateTimeOffset.TryParse(Encoding.ASCII.GetString(span[..first]), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
            return null;
        var textStart = first + 1 + second + 1 + (third < 0 ? afterStream.Length : third + 1);
        return new CriLogLine(time, line[..first], stderr, tag[0] == (byte)'P', line[Math.Min(textStart, line.Length)..]);
    }
}
