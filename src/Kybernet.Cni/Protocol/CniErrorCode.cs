namespace Kybernet.Cni.Protocol;

/// <summary>The spec's well-known error codes. 100 and above are plugin-specific.</summary>
public static class CniErrorCode
{
    public const int IncompatibleVersion = 1;
    public const int UnsupportedField = 2;
    public const int UnknownContainer = 3;
    public const int InvalidEnvironment = 4;
    public const int IoFailure = 5;
    public const int DecodeFailure = 6;
    public const int InvalidConfig = 7;
    public const int TryAgainLater = 11;
    public const int NotAvailable = 50;
    public const int NotAvailableLimitedConnectivity = 51;
    /// <summary>Kybernet's code for a failed kernel operation (netlink, nftables).</summary>
    public const int KernelFailure = 100;
    /// <summary>Kybernet's code for an exhausted address range.</summary>
    public const int NoAddressesLeft = 101;
    /// <summary>Another container already holds the host port (portmap).</summary>
    public const int HostPortTaken = 110;
    /// <summary>CHECK found one of the container's port mappings missing (portmap).</summary>
    public const int MappingMissing = 111;
}
