using Kybernet.Cni.Protocol;
using Kybernet.Linux.Netlink;

namespace Kybernet.Cni.Plugins.Bridge;

/// <summary>The bridge plugin's keys, with the reference plugin's names and defaults.</summary>
public sealed record BridgeConfig
{
    public string Bridge { get; init; } = "cni0";
    public bool IsGateway { get; init; }
    public bool IsDefaultGateway { get; init; }
    public bool ForceAddress { get; init; }
    public bool IpMasq { get; init; }
    public int? Mtu { get; init; }
    public bool HairpinMode { get; init; }
    public bool PromiscMode { get; init; }
    public ushort Vlan { get; init; }
    public bool MacSpoofCheck { get; init; }
    public required string IpamType { get; init; }

    public static BridgeConfig Parse(CniNetworkConfig config)
    {
        var json = config.Json;
        var bridge = JsonConfig.String(json, "bridge") ?? "cni0";
        try { Links.ValidateName(bridge); }
        catch (ArgumentException) { throw CniException.InvalidConfig("bridge", $"\"{bridge}\" is not a valid interface name"); }

        var parsed = new BridgeConfig
        {
            Bridge = bridge,
            IsDefaultGateway = JsonConfig.Bool(json, "isDefaultGateway"),
            IsGateway = JsonConfig.Bool(json, "isGateway") || JsonConfig.Bool(json, "isDefaultGateway"),
            ForceAddress = JsonConfig.Bool(json, "forceAddress"),
            IpMasq = JsonConfig.Bool(json, "ipMasq"),
            Mtu = JsonConfig.Int(json, "mtu", 0, 65535) is int m and > 0 ? (m < 68 ? throw CniException.InvalidConfig("mtu", "must be at least 68") : m) : null,
            HairpinMode = JsonConfig.Bool(json, "hairpinMode"),
            PromiscMode = JsonConfig.Bool(json, "promiscMode"),
            Vlan = (ushort)(JsonConfig.Int(json, "vlan", 0, 4094) ?? 0),
            MacSpoofCheck = JsonConfig.Bool(json, "macspoofchk"),
            IpamType = config.Ipam is null
                ? throw CniException.InvalidConfig("ipam", "is required: the bridge plugin delegates addresses to an IPAM plugin")
                : config.IpamType ?? throw CniException.InvalidConfig("ipam.type", "is required"),
        };
        if (parsed.HairpinMode && parsed.PromiscMode)
            throw CniException.InvalidConfig("hairpinMode", "and \"promiscMode\" cannot both be true");
        return parsed;
    }
}
