using System.Text.Json;
using System.Text.Json.Nodes;
using Kybernet.Net;

namespace Kybernet.Overlay.Subnets;

/// <summary>
/// Parses flannel's network config (etcd key PREFIX/config, or net-conf.json) with flannel's rules:
/// <list type="bullet">
/// <item>keys match case-insensitively and unknown keys are ignored (Go's encoding/json);</item>
/// <item><c>Network</c> (IPv4 CIDR) is the only required key; host bits are masked off;</item>
/// <item><c>SubnetLen</c> defaults to 24 if the network is a /22 or larger, else to its prefix + 2 (four
/// subnets); a network smaller than a /28 is refused; an explicit SubnetLen must be at most 30 and
/// leave room for at least four subnets;</item>
/// <item><c>SubnetMin</c> defaults to the second subnet (the first collides with the network address),
/// <c>SubnetMax</c> to the last; both must lie in the network and on a SubnetLen boundary;</item>
/// <item><c>Backend</c> defaults to {"Type":"udp"} (flannel's documented default); if given, it must be an
/// object with a string <c>Type</c>.</item>
/// </list>
/// Only IPv4 is supported: <c>EnableIPv4: false</c> or <c>EnableIPv6: true</c> are refused.
/// Every error is a <see cref="NetworkConfigException"/> naming the field.
/// </summary>
public static class NetworkConfigParser
{
    /// <summary>flannel's backend when the config has no Backend.</summary>
    public const string DefaultBackendType = "udp";

    public static NetworkConfig Parse(string json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new NetworkConfigException("", $"not valid JSON: {e.Message}");
        }
        if (root is not JsonObject doc)
        {
            throw new NetworkConfigException("", "expected a JSON object");
        }

        if (Bool(doc, "EnableIPv4") is false)
        {
            throw new NetworkConfigException("EnableIPv4", "false is not supported: the overlay is IPv4 only");
        }
        if (Bool(doc, "EnableIPv6") is true)
        {
            throw new NetworkConfigException("EnableIPv6", "true is not supported yet: the overlay is IPv4 only");
        }

        var networkText = String(doc, "Network") ?? throw new NetworkConfigException("Network", "required (an IPv4 CIDR such as \"10.244.0.0/16\")");
        var network = ParseCidr("Network", networkText);

        var subnetLen = Int(doc, "SubnetLen") ?? 0;
        if (subnetLen < 0)
        {
            throw new NetworkConfigException("SubnetLen", $"{subnetLen} is negative");
        }
        if (subnetLen > 0)
        {
            if (subnetLen > 30)
            {
                throw new NetworkConfigException("SubnetLen", $"/{subnetLen} is too small for a host: it must be 30 or less");
            }
            if (subnetLen < network.PrefixLength + 2)
            {
                throw new NetworkConfigException("SubnetLen", $"/{subnetLen} leaves fewer than four subnets in Network {networkText}: it must be at least {network.PrefixLength + 2}");
            }
        }
        else if (network.PrefixLength > 28)
        {
            throw new NetworkConfigException("Network", $"{networkText} is too small: the smallest useful network is a /28");
        }
        else
        {
            subnetLen = network.PrefixLength <= 22 ? 24 : network.PrefixLength + 2;
        }

        // Defaults: the second subnet (the first holds the network address) and the last one.
        var subnetMin = Bound(doc, "SubnetMin", network, subnetLen) ?? network.Subnet(subnetLen, 1).Address;
        var subnetMax = Bound(doc, "SubnetMax", network, subnetLen) ?? network.Subnet(subnetLen, network.SubnetCount(subnetLen) - 1).Address;
        if (subnetMin > subnetMax)
        {
            throw new NetworkConfigException("SubnetMin", $"{subnetMin} is after SubnetMax {subnetMax}");
        }

        var backend = Find(doc, "Backend") switch
        {
            null => new JsonObject { ["Type"] = DefaultBackendType },
            JsonObject o => (JsonObject)o.DeepClone(),
            var other => throw new NetworkConfigException("Backend", $"expected an object such as {{\"Type\":\"vxlan\"}}, got {other.ToJsonString()}"),
        };
        var backendType = Find(backend, "Type") switch
        {
            JsonValue v when v.TryGetValue<string>(out var s) && s.Length > 0 => s,
            null => throw new NetworkConfigException("Backend.Type", "required (vxlan, host-gw or udp)"),
            var other => throw new NetworkConfigException("Backend.Type", $"expected a non-empty string, got {other.ToJsonString()}"),
        };

        return new NetworkConfig
        {
            Network = network.ToIPNetwork(),
            SubnetLen = subnetLen,
            SubnetMin = subnetMin.ToIPAddress(),
            SubnetMax = subnetMax.ToIPAddress(),
            BackendType = backendType,
            Backend = backend,
        };
    }

    private static Ipv4Address? Bound(JsonObject doc, string field, Ipv4Cidr network, int subnetLen)
    {
        var text = String(doc, field);
        if (text is null)
        {
            return null;
        }
        if (!Ipv4Address.TryParse(text, out var address))
        {
            throw new NetworkConfigException(field, $"\"{text}\" is not an IPv4 address");
        }
        if (!network.Contains(address))
        {
            throw new NetworkConfigException(field, $"{text} is not in Network {network}");
        }
        if (!new Ipv4Cidr(address, subnetLen).IsNetwork)
        {
            throw new NetworkConfigException(field, $"{text} is not on a /{subnetLen} (SubnetLen) boundary");
        }
        return address;
    }

    /// <summary>An IPv4 CIDR with its host bits masked off, as flannel does.</summary>
    private static Ipv4Cidr ParseCidr(string field, string text) =>
        Ipv4Cidr.TryParse(text, out var cidr)
            ? cidr.Network
            : throw new NetworkConfigException(field, $"\"{text}\" is not an IPv4 CIDR such as \"10.244.0.0/16\"");

    /// <summary>The value of <paramref name="name"/>, matched case-insensitively as Go's encoding/json does (an exact match wins).</summary>
    private static JsonNode? Find(JsonObject obj, string name)
    {
        if (obj.TryGetPropertyValue(name, out var exact))
        {
            return exact;
        }
        foreach (var (key, value) in obj)
        {
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase))
            {
                return value;
            }
        }
        return null;
    }

    private static string? String(JsonObject obj, string name) => Find(obj, name) switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        var other => throw new NetworkConfigException(name, $"expected a string, got {other.ToJsonString()}"),
    };

    private static int? Int(JsonObject obj, string name) => Find(obj, name) switch
    {
        null => null,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i) => i,
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < int.MaxValue => (int)d,
        var other => throw new NetworkConfigException(name, $"expected an integer, got {other.ToJsonString()}"),
    };

    private static bool? Bool(JsonObject obj, string name) => Find(obj, name) switch
    {
        null => null,
        JsonValue v when v.TryGetValue<bool>(out var b) => b,
        var other => throw new NetworkConfigException(name, $"expected true or false, got {other.ToJsonString()}"),
    };
}
