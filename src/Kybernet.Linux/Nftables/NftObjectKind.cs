namespace Kybernet.Linux.Nftables;

/// <summary>The kinds of object a transaction can touch, in the order summaries list them.</summary>
public enum NftObjectKind { Table, Chain, Rule, Set, Map, Element }

/// <summary>What a transaction command does to its object.</summary>
public enum NftVerb
{
    /// <summary>Create the object, or leave an existing one as it is (rules: append to the chain).</summary>
    Add,
    /// <summary>Create the object; nft fails the whole transaction if it exists already (not for rules).</summary>
    Create,
    /// <summary>Rules only: put the rule at the start of the chain.</summary>
    Insert,
    /// <summary>Empty a table, chain, set or map but keep it.</summary>
    Flush,
    /// <summary>Remove the object; nft fails the whole transaction if it does not exist.</summary>
    Delete,
}
