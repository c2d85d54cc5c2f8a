namespace Kybernet.Linux.Nftables;

/// <summary>
/// nft refused a command. The message names the operation and the namespace, then quotes nft:
/// "apply nftables transaction (1 table, 12 rules) in netns kyb-n1: /dev/stdin:3:1-4: Error: ...".
/// </summary>
public sealed class NftablesException : Exception
{
    public NftablesException(string operation, string nftMessage, Exception? inner = null)
        : base($"{operation}: {nftMessage}", inner)
    {
        Operation = operation;
        NftMessage = nftMessage;
    }

    public string Operation { get; }

    /// <summary>What nft printed on stderr (its error with the offending line and a caret marker).</summary>
    public string NftMessage { get; }
}
