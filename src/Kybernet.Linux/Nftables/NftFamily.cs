namespace Kybernet.Linux.Nftables;

/// <summary>The address family a table belongs to; it decides which packets the table's base chains see.</summary>
public enum NftFamily { Ip, Ip6, Inet, Arp, Bridge, Netdev }

internal static class NftFamilyNames
{
    /// <summary>The keyword nft uses for the family ("ip", "inet", ...).</summary>
    public static string ToNft(this NftFamily family) => family switch
    {
        NftFamily.Ip => "ip",
        NftFamily.Ip6 => "ip6",
        NftFamily.Inet => "inet",
        NftFamily.Arp => "arp",
        NftFamily.Bridge => "bridge",
        NftFamily.Netdev => "netdev",
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "unknown nftables family"),
    };
}
