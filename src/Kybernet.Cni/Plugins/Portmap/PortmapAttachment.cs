using System.Text;
using Kybernet.Cni.Protocol;

namespace Kybernet.Cni.Plugins.Portmap;

/// <summary>
/// The attachment (container ID and interface) that owns an nftables element. It is written into the
/// element's comment as "CONTAINERID/IFNAME", which is how DEL, CHECK and GC find a container's
/// elements again. Neither part can contain '/', so the comment parses back unambiguously.
/// </summary>
public sealed record PortmapAttachment(string ContainerId, string IfName)
{
    /// <summary>nft's limit on an element comment (NFTNL_UDATA_COMMENT_MAXLEN).</summary>
    public const int MaxCommentBytes = 128;

    public string Comment => $"{ContainerId}/{IfName}";

    public override string ToString() => $"container {ContainerId} ({IfName})";

    public static PortmapAttachment From(CniEnvironment environment)
    {
        var attachment = new PortmapAttachment(environment.ContainerId, environment.IfName);
        if (Encoding.UTF8.GetByteCount(attachment.Comment) > MaxCommentBytes)
            throw CniException.InvalidEnvironment("CNI_CONTAINERID",
                $"is too long: kybernet-portmap keeps \"CONTAINERID/IFNAME\" in an nftables comment of at most {MaxCommentBytes} bytes");
        return attachment;
    }

    /// <summary>The owner named by an element's comment, or null for a comment Kybernet did not write.</summary>
    public static PortmapAttachment? FromComment(string? comment)
    {
        var slash = comment?.IndexOf('/') ?? -1;
        if (slash <= 0 || slash == comment!.Length - 1)
            return null;
        var (id, ifName) = (comment[..slash], comment[(slash + 1)..]);
        return CniEnvironment.IsValidContainerId(id) && CniEnvironment.IsValidInterfaceName(ifName)
            ? new PortmapAttachment(id, ifName)
            : null;
    }
}
