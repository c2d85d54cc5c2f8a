using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kybernet.Overlay.Subnets;

/// <summary>
/// The value flannel stores under PREFIX/subnets/10.244.1.0-24, byte for byte its shape:
/// {"PublicIP":"192.168.200.11","PublicIPv6":null,"BackendType":"vxlan","BackendData":{"VNI":1,"VtepMAC":"..."}}.
/// </summary>
internal sealed record LeaseAttrs(IPAddress PublicIp, string BackendType, JsonObject BackendData)
{
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("PublicIP", PublicIp.ToString());
            writer.WriteNull("PublicIPv6");
            writer.WriteString("BackendType", BackendType);
            writer.WritePropertyName("BackendData");
            BackendData.WriteTo(writer);
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Reads a stored value; null if it is not a flannel lease (another tool's key, or damaged).</summary>
    public static LeaseAttrs? TryParse(ReadOnlySpan<byte> json)
    {
        try
        {
            if (JsonNode.Parse(Encoding.UTF8.GetString(json)) is not JsonObject obj)
            {
                return null;
            }
            var ip = Get(obj, "PublicIP") is JsonValue v && v.TryGetValue<string>(out var s) && IPAddress.TryParse(s, out var parsed)
                && parsed.AddressFamily == AddressFamily.InterNetwork ? parsed : null;
            if (ip is null)
            {
                return null;
            }
            var type = Get(obj, "BackendType") is JsonValue t && t.TryGetValue<string>(out var ts) ? ts : "";
            var data = Get(obj, "BackendData") is JsonObject d ? (JsonObject)d.DeepClone() : new JsonObject();
            return new LeaseAttrs(ip, type, data);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonNode? Get(JsonObject obj, string name)
    {
        foreach (var (key, value) in obj)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }
        return null;
    }
}
