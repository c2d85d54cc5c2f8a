using System.Net;
using Kybernet.Linux.Nftables;
using Kybernet.Overlay.Agent;

namespace Kybernet.Overlay.Tests.Agent;

/// <summary>The masquerade table kept as wanted: the decision purely, then against real nftables in a throwaway namespace.</summary>
public sealed class MasqueradeKeeperTests
{
    private static readonly IPNetwork Network = IPNetwork.Parse("10.244.0.0/16");

    [Theory]
    [InlineData(true, "T", "T", MasqueradeDrift.None)]
    [InlineData(true, "T", null, MasqueradeDrift.Missing)]
    [InlineData(true, "T", "T with one more rule", MasqueradeDrift.Changed)]
    [InlineData(false, null, null, MasqueradeDrift.None)]
    [InlineData(false, null, "T", MasqueradeDrift.Unwanted)]
    public void Drift_is_judged_against_the_table_as_written(bool ipMasq, string? written, string? listed, MasqueradeDrift drift) =>
        Assert.Equal(drift, MasqueradeKeeper.Judge(written, listed, ipMasq));

    [Fact]
    public void A_deleted_table_or_rule_is_restored_and_a_table_without_ip_masq_removed()
    {
        using var ns = new TestNamespace();
        var nft = new NftCli(ns);
        var keeper = new MasqueradeKeeper(nft, Network, ipMasq: true);
        keeper.Apply();
        var written = Nft(ns, "list", "table", "ip", "kybernet-overlay");
        Assert.Null(keeper.Restore());

        Nft(ns, "delete", "table", "ip", "kybernet-overlay");
        Assert.Equal("restored the masquerade table ip kybernet-overlay (it was missing)", keeper.Restore());
        Assert.Equal(written, Nft(ns, "list", "table", "ip", "kybernet-overlay"));

        Nft(ns, "flush", "chain", "ip", "kybernet-overlay", "postrouting");
        Assert.Equal("restored the masquerade table ip kybernet-overlay (it had been changed)", keeper.Restore());
        Assert.Equal(written, Nft(ns, "list", "table", "ip", "kybernet-overlay"));
        Assert.Null(keeper.Restore());

        var off = new MasqueradeKeeper(nft, Network, ipMasq: false);
        Assert.Equal("removed the masquerade table ip kybernet-overlay (ipMasq is off)", off.Restore());
        Assert.Null(nft.ListTableText(NftFamily.Ip, "kybernet-overlay"));
        Assert.Null(off.Restore());
    }

    private static string Nft(TestNamespace ns, params string[] args) => Tool.Run("ip", ["netns", "exec", ns.Name, "nft", .. args]);
}
