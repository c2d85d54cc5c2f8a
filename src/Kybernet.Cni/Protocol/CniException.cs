using System.Text.Json.Nodes;

namespace Kybernet.Cni.Protocol;

/// <summary>A failure reported to the runtime as the spec's error JSON: code, msg and optional details.</summary>
public class CniException(int code, string message, string? details = null, Exception? inner = null)
    : Exception(message, inner)
{
    public int Code { get; } = code;
    public string? Details { get; } = details;

    public static CniException InvalidConfig(string field, string problem) =>
        new(CniErrorCode.InvalidConfig, $"invalid network config: \"{field}\" {problem}");

    public static CniException InvalidEnvironment(string variable, string problem) =>
        new(CniErrorCode.InvalidEnvironment, $"{variable} {problem}");

    public JsonObject ToJson(string cniVersion)
    {
        var error = new JsonObject { ["cniVersion"] = cniVersion, ["code"] = Code, ["msg"] = Message };
        if (!string.IsNullOrEmpty(Details))
            error["details"] = Details;
        return error;
    }
}
