using System.Net;
using Kybernet.Linux.Nftables;

namespace Kybernet.Overlay.Agent;

/// <summary>
/// Keeps the pod network's masquerade table (<see cref="PodNetworkMasquerade"/>) as the agent wants it: with ipMasq on,
/// present exactly as written; with it off, absent. "As written" is the table as nft listed it right after the agent
/// wrote it, so a deleted rule, chain or table, and a rule added by hand, are all seen, without parsing nft's output.
/// </summary>
public sealed class MasqueradeKeeper(INftables nft, IPNetwork network, bool ipMasq)
{
    /// <summary>"ip kybernet-overlay", as nft names it.</summary>
    private const string TableText = "ip " + PodNetworkMasquerade.TableName;
    private string? _written;

    /// <summary>Writes the table (or removes it) as wanted, and remembers how the kernel lists it.</summary>
    public void Apply()
    {
        nft.Apply(ipMasq ? PodNetworkMasquerade.Ensure(network) : PodNetworkMasquerade.Remove());
        _written = ipMasq ? nft.ListTableText(PodNetworkMasquerade.Table.Family, PodNetworkMasquerade.Table.Name) : null;
    }

    /// <summary>Re-reads the table and writes it again if it drifted; returns the repair in words, or null if there was none.</summary>
    public string? Restore()
    {
        var drift = Judge(_written, nft.ListTableText(PodNetworkMasquerade.Table.Family, PodNetworkMasquerade.Table.Name), ipMasq);
        if (drift == MasqueradeDrift.None)
            return null;
        Apply();
        return drift switch
        {
            MasqueradeDrift.Missing => $"restored the masquerade table {TableText} (it was missing)",
            MasqueradeDrift.Changed => $"restored the masquerade table {TableText} (it had been changed)",
            _ => $"removed the masquerade table {TableText} (ipMasq is off)",
        };
    }

    /// <summary>How the table as listed now (null: absent) differs from what the agent wants.</summary>
    public static MasqueradeDrift Judge(string? written, string? listed, bool ipMasq) => (ipMasq, listed) switch
    {
        (true, null) => MasqueradeDrift.Missing,
        (true, _) when listed != written => MasqueradeDrift.Changed,
        (false, not null) => MasqueradeDrift.Unwanted,
        _ => MasqueradeDrift.None,
    };
}

public enum MasqueradeDrift
{
    /// <summary>The table is as wanted.</summary>
    None,
    /// <summary>ipMasq is on and the table is gone.</summary>
    Missing,
    /// <summary>ipMasq is on and the table differs from what was written (a rule or chain deleted or added).</summary>
    Changed,
    /// <summary>ipMasq is off and a table of that name exists.</summary>
    Unwanted,
}
