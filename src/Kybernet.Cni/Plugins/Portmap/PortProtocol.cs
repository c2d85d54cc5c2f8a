namespace Kybernet.Cni.Plugins.Portmap;

/// <summary>The transport protocols a host port can be mapped for.</summary>
public enum PortProtocol { Tcp, Udp, Sctp }

internal static class PortProtocolNames
{
    /// <summary>The name nft uses in an inet_proto key ("tcp"), which is also the name Kubernetes sends, lowercased.</summary>
    public static string ToNft(this PortProtocol protocol) => protocol switch
    {
        PortProtocol.Tcp => "tcp",
        PortProtocol.Udp => "udp",
        PortProtocol.Sctp => "sctp",
        _ => throw new ArgumentOutOfRangeException(nameof(protocol), protocol, "unknown protocol"),
    };

    public static PortProtocol? Parse(string text) => text.ToLowerInvariant() switch
    {
        "tcp" => PortProtocol.Tcp,
        "udp" => PortProtocol.Udp,
        "sctp" => PortProtocol.Sctp,
        _ => null,
    };
}
