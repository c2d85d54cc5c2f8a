using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kybernet.Overlay.Backends;

/// <summary>The udp keys of the network config's Backend object: {"Type":"udp","Port":8285}.</summary>
public sealed record UdpOptions(ushort Port = UdpOptions.DefaultPort)
{
    /// <summary>flannel's udp port.</summary>
    public const ushort DefaultPort = 8285;

    /// <summary>The TUN device flannel's udp backend creates ("flannel%d", the first one).</summary>
    public const string DeviceName = "flannel0";

    public static UdpOptions From(JsonObject backend)
    {
        var node = backend["Port"];
        if (node is null)
            return new UdpOptions();
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.Number
            || !long.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long port))
            throw new BackendException($"udp backend config: Port must be a whole number, not {node.ToJsonString()}");
        if (port is < 1 or > ushort.MaxValue)
            throw new BackendException($"udp backend config: Port must be 1-65535, not {port}");
        return new UdpOptions((ushort)port);
    }
}
