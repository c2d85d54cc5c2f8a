using System.Text.Json.Nodes;
using Kybernet.Linux;
using Kybernet.Linux.Nftables;

namespace Kybernet.Cni.Protocol;

/// <summary>
/// One plugin invocation, start to finish: read CNI_* and stdin, check versions, dispatch, and print
/// the result, or the spec's error JSON (on stdout, with a non-zero exit code) for any failure.
/// </summary>
public static class CniRunner
{
    public static int Run(ICniPlugin plugin, IReadOnlyDictionary<string, string> environment, string stdin, TextWriter stdout)
    {
        string version = CniVersion.Current;
        try
        {
            var env = CniEnvironment.Parse(environment);
            if (env.Command == CniOperation.Version)
            {
                Write(stdout, new JsonObject
                {
                    ["cniVersion"] = CniVersion.Current,
                    ["supportedVersions"] = new JsonArray(CniVersion.Supported.Select(v => (JsonNode?)v).ToArray()),
                });
                return 0;
            }

            var config = CniNetworkConfig.Parse(stdin);
            version = config.CniVersion;
            CniVersion.RequireFor(env.Command.ToString().ToUpperInvariant(), version);
            var request = new CniRequest(env, config);
            switch (env.Command)
            {
                case CniOperation.Add:
                    Write(stdout, plugin.Add(request).ToJson(version));
                    break;
                case CniOperation.Del:
                    plugin.Del(request);
                    break;
                case CniOperation.Check:
                    plugin.Check(request);
                    break;
                case CniOperation.Status:
                    plugin.Status(request);
                    break;
                case CniOperation.Gc:
                    plugin.Gc(request);
                    break;
            }
            return 0;
        }
        catch (Exception e)
        {
            Write(stdout, ToCniError(e).ToJson(version));
            return 1;
        }
    }

    /// <summary>Kernel and I/O failures keep their own words; the code says which kind of failure it was.</summary>
    public static CniException ToCniError(Exception e) => e switch
    {
        CniException cni => cni,
        LinuxException linux => new CniException(CniErrorCode.KernelFailure, linux.Message, inner: linux),
        NftablesException nft => new CniException(CniErrorCode.KernelFailure, nft.Message, inner: nft),
        IOException or UnauthorizedAccessException => new CniException(CniErrorCode.IoFailure, e.Message, inner: e),
        _ => new CniException(CniErrorCode.KernelFailure, $"{e.GetType().Name}: {e.Message}", inner: e),
    };

    /// <summary>Indented by 4 like the reference plugins' output, so people comparing the two see the same layout.</summary>
    private static void Write(TextWriter stdout, JsonObject json)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Indented = true, IndentSize = 4 }))
            json.WriteTo(writer);
        stdout.Write(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
        stdout.Flush();
    }
}
