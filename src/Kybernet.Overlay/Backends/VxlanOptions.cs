using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kybernet.Overlay.Backends;

/// <summary>The vxlan keys of the network config's Backend object: {"Type":"vxlan","VNI":1,"Port":8472}.</summary>
public sealed record VxlanOptions(uint Vni = 1, ushort Port = 8472)
{
    public const uint MaxVni = (1 << 24) - 1;

    /// <summary>The device flannel names after the VNI: "flannel.1".</summary>
    public string DeviceName => $"flannel.{Vni}";

    public static VxlanOptions From(JsonObject backend)
    {
        long vni = Number(backend, "VNI", 1);
        long port = Number(backend, "Port", 8472);
        if (vni is < 1 or > MaxVni)
            throw new BackendException($"vxlan backend config: VNI must be 1-{MaxVni}, not {vni}");
        if (port is < 1 or > ushort.MaxValue)
            throw new BackendException($"vxlan backend config: Port must be 1-65535, not {port}");
        return new VxlanOptions((uint)vni, (ushort)port);
    }

    private static long Number(JsonObject backend, string key, long fallback)
    {
        var node = backend[key];
        if (node is null)
            return fallback;
        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && long.TryParse(value.ToJsonString(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long n))
            return n;
        throw new BackendException($"vxlan backend config: {key} must be a whole number, not {node.ToJsonString()}");
    }
}
