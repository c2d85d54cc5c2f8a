using Kybernet.Cni.Protocol;

namespace Kybernet.Cni.Plugins.Portmap;

/// <summary>kybernet-portmap's error messages (codes live with the others in <see cref="CniErrorCode"/>).</summary>
public static class PortmapErrors
{
    public const int HostPortTakenCode = CniErrorCode.HostPortTaken;
    public const int MappingMissingCode = CniErrorCode.MappingMissing;

    public static CniException HostPortTaken(PortmapAttachment wanting, PortmapEntry wanted, PortmapEntry holding)
    {
        var (protocol, port) = wanted.PortSlot;
        var wantedHost = wanted.HostIp is { } ip ? $"{ip}:{port}" : $"{port} (any address)";
        var heldAs = holding.HostIp is { } hip ? $"{hip}:{port}" : $"{port} on any address";
        return new CniException(HostPortTakenCode,
            $"host port {wantedHost}/{protocol} for {wanting} is already taken: {holding.Owner?.ToString() ?? "an element without an owner"} maps {heldAs}/{protocol} to {holding.Value?.Replace(" . ", ":")}");
    }

    public static CniException MappingMissing(PortmapAttachment owner, PortmapEntry entry, bool tableExists) =>
        new(MappingMissingCode, $"{owner}: {entry.Describe()} is missing from {entry.Holder} in table ip {PortmapTable.Table.Name}"
            + (tableExists ? "" : " (the table does not exist)"));
}
