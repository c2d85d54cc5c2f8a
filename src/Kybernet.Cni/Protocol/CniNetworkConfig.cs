using System.Text.Json.Nodes;

namespace Kybernet.Cni.Protocol;

/// <summary>
/// The fields every plugin's config shares (cniVersion, name, type, ipam, dns, prevResult,
/// runtimeConfig); plugin-specific keys are read from <see cref="Json"/> by each plugin.
/// </summary>
public sealed record CniNetworkConfig
{
    public required string CniVersion { get; init; }
    public required string Name { get; init; }
    public required string Type { get; init; }
    /// <summary>The "ipam" section, passed whole to the IPAM plugin.</summary>
    public JsonObject? Ipam { get; init; }
    public JsonObject? RuntimeConfig { get; init; }
    /// <summary>The result of the previous plugin in a chain (or of ADD, for CHECK and DEL).</summary>
    public CniResult? PrevResult { get; init; }
    /// <summary>The config exactly as received on stdin, for delegated plugins.</summary>
    public required string Text { get; init; }
    public required JsonObject Json { get; init; }

    public string? IpamType => Ipam is null ? null : JsonConfig.String(Ipam, "type", "ipam.");

    public static CniNetworkConfig Parse(string text)
    {
        var json = JsonConfig.Parse(text);
        var version = ReadVersion(json);
        var name = JsonConfig.RequiredString(json, "name");
        if (!CniEnvironment.IsValidContainerId(name)) // the spec gives names and container IDs the same grammar
            throw CniException.InvalidConfig("name", $"\"{name}\" must start with a letter or digit, then letters, digits, '_', '.' or '-'");
        var prev = JsonConfig.Object(json, "prevResult");
        return new CniNetworkConfig
        {
            CniVersion = version,
            Name = name,
            Type = JsonConfig.RequiredString(json, "type"),
            Ipam = JsonConfig.Object(json, "ipam"),
            RuntimeConfig = JsonConfig.Object(json, "runtimeConfig"),
            PrevResult = prev is null ? null : CniResult.FromJson(prev, "prevResult."),
            Text = text,
            Json = json,
        };
    }

    private static string ReadVersion(JsonObject json)
    {
        try { return Protocol.CniVersion.Validate(JsonConfig.String(json, "cniVersion")); }
        catch (CniException e) when (e.Code == CniErrorCode.InvalidConfig)
        {
            throw new CniException(CniErrorCode.DecodeFailure, "cniVersion must be a string like \"1.0.0\"");
        }
    }
}
