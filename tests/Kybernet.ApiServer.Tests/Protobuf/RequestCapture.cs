using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Kybernet.ApiServer.Tests.Protobuf;

/// <summary>A request kubectl sent: its method, URL and body bytes.</summary>
public sealed record CapturedRequest(string Method, string Url, byte[] Body);

/// <summary>
/// kubectl's request bodies, read from its own log: at -v=9 kubectl prints each request body (a
/// hex dump for protobuf) before the request's curl line. Captures are kept in Captured/NAME.hex
/// (the command, the request line, then the bytes in hex) so the tests that decode them run
/// without kubectl, and a live test checks kubectl still sends exactly those bytes.
/// </summary>
public static partial class RequestCapture
{
    public static IReadOnlyList<CapturedRequest> FromLog(string stderr)
    {
        var requests = new List<CapturedRequest>();
        byte[]? body = null;
        var lines = stderr.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Contains("\"Request Body\" body=<", StringComparison.Ordinal))
            {
                var bytes = new List<byte>();
                for (i++; i < lines.Length && lines[i].Trim() != ">"; i++)
                {
                    var dump = HexDumpLine().Match(lines[i]);
                    if (!dump.Success)
                    {
                        bytes.Clear(); // a JSON body: not a hex dump
                        break;
                    }
                    foreach (var hex in dump.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                        bytes.Add(byte.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                }
                body = bytes.ToArray();
                continue;
            }
            var curl = CurlLine().Match(lines[i]);
            if (curl.Success)
            {
                requests.Add(new CapturedRequest(curl.Groups[1].Value, curl.Groups[2].Value, body ?? []));
                body = null;
            }
        }
        return requests;
    }

    /// <summary>The directory of the checked-in captures (beside this source file).</summary>
    public static string Directory([CallerFilePath] string source = "") => Path.Combine(Path.GetDirectoryName(source)!, "Captured");

    public static string Format(string command, CapturedRequest request)
    {
        var text = new StringBuilder($"# kubectl {command}\n# {request.Method} {new Uri(request.Url).PathAndQuery}\n");
        for (int i = 0; i < request.Body.Length; i += 32)
            text.Append(Convert.ToHexString(request.Body.AsSpan(i, Math.Min(32, request.Body.Length - i))).ToLowerInvariant()).Append('\n');
        return text.ToString();
    }

    public static byte[] Read(string name) =>
        Convert.FromHexString(string.Concat(File.ReadAllLines(Path.Combine(Directory(), name + ".hex")).Where(l => !l.StartsWith('#'))));

    [GeneratedRegex(@"^\s*[0-9a-f]{8}  ((?:[0-9a-f]{2} {1,2})+)\s*\|", RegexOptions.CultureInvariant)]
    private static partial Regex HexDumpLine();

    [GeneratedRegex(@"curl -v -X(\w+) .*'([^']+)'", RegexOptions.CultureInvariant)]
    private static partial Regex CurlLine();
}
