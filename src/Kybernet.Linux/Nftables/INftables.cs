namespace Kybernet.Linux.Nftables;

/// <summary>
/// The seam between code that computes nftables state and the kernel that holds it. <see cref="NftCli"/>
/// is the real one; <see cref="FakeNftables"/> models a ruleset for tests of the code around it.
/// </summary>
public interface INftables
{
    /// <summary>Applies every command of the transaction, or none of them. Throws <see cref="NftablesException"/> on failure.</summary>
    void Apply(NftTransaction transaction);

    /// <summary>The table's chains, rules, sets and maps as the kernel has them, or null if there is no such table.</summary>
    NftTableState? ListTable(NftFamily family, string name);

    /// <summary>The table in nft's own text form (`nft list table`), or null if there is no such table.</summary>
    string? ListTableText(NftFamily family, string name);
}
