using System.Globalization;
using System.Text;

namespace Kybernet.ApiServer.Protobuf;

/// <summary>
/// metav1.Duration's JSON form: Go's time.Duration text ("1h0m0s", "1.5s", "300ms", "0s"), which
/// the wire carries as int64 nanoseconds.
/// </summary>
public static class GoDuration
{
    private const long Microsecond = 1000, Millisecond = 1000 * Microsecond, Second = 1000 * Millisecond, Minute = 60 * Second, Hour = 60 * Minute;

    public static string Format(long nanoseconds)
    {
        if (nanoseconds == 0)
            return "0s";
        var text = new StringBuilder();
        if (nanoseconds < 0)
            text.Append('-');
        ulong u = nanoseconds == long.MinValue ? (ulong)long.MaxValue + 1 : (ulong)Math.Abs(nanoseconds);
        if (u < Second)
        {
            // Under a second: one unit, the largest that is not more than the value.
            var (unit, name) = u < Microsecond ? (1UL, "ns") : u < Millisecond ? ((ulong)Microsecond, "µs") : ((ulong)Millisecond, "ms");
            AppendFraction(text, u, unit);
            return text.Append(name).ToString();
        }
        ulong hours = u / Hour, minutes = u / Minute % 60;
        if (hours > 0)
            text.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        if (hours > 0 || minutes > 0)
            text.Append(minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        AppendFraction(text, u % Minute, Second);
        return text.Append('s').ToString();
    }

    private static void AppendFraction(StringBuilder text, ulong value, ulong unit)
    {
        text.Append((value / unit).ToString(CultureInfo.InvariantCulture));
        ulong rest = value % unit;
        if (rest == 0)
            return;
        var digits = rest.ToString(CultureInfo.InvariantCulture).PadLeft(unit.ToString(CultureInfo.InvariantCulture).Length - 1, '0').TrimEnd('0');
        text.Append('.').Append(digits);
    }

    /// <summary>Go's time.ParseDuration: a signed sequence of decimal numbers, each with a unit (ns, us, µs, ms, s, m, h).</summary>
    public static long Parse(string text)
    {
        var s = text.AsSpan();
        bool negative = false;
        if (s.Length > 0 && s[0] is '-' or '+')
        {
            negative = s[0] == '-';
            s = s[1..];
        }
        if (s is "0")
            return 0;
        if (s.IsEmpty)
            throw new FormatException($"invalid duration \"{text}\"");
        decimal total = 0;
        while (!s.IsEmpty)
        {
            int n = 0;
            while (n < s.Length && (char.IsAsciiDigit(s[n]) || s[n] == '.'))
                n++;
            if (n == 0 || !decimal.TryParse(s[..n], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
                throw new FormatException($"invalid duration \"{text}\"");
            s = s[n..];
            int u = 0;
            while (u < s.Length && !char.IsAsciiDigit(s[u]) && s[u] != '.')
                u++;
            long unit = s[..u] switch
            {
                "ns" => 1,
                "us" or "µs" or "μs" => Microsecond,
                "ms" => Millisecond,
                "s" => Second,
                "m" => Minute,
                "h" => Hour,
                _ => throw new FormatException($"unknown unit in duration \"{text}\""),
            };
            s = s[u..];
            total += number * unit;
        }
        long result = (long)decimal.Truncate(total);
        return negative ? -result : result;
    }
}
