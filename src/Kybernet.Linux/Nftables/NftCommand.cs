namespace Kybernet.Linux.Nftables;

/// <summary>One line of a transaction: a verb applied to an object, with the nft text it rendered to.</summary>
public sealed class NftCommand
{
    internal NftCommand(NftVerb verb, NftObject target)
    {
        Verb = verb;
        Object = target;
        Text = target.Render(verb);
    }

    public NftVerb Verb { get; }
    public NftObject Object { get; }

    /// <summary>The command in nft's language, e.g. "flush chain ip kube-proxy services".</summary>
    public string Text { get; }

    public override string ToString() => Text;
}
