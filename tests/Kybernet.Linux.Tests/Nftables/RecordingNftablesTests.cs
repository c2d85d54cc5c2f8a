using Kybernet.Linux.Nftables;

namespace Kybernet.Linux.Tests.Nftables;

public class RecordingNftablesTests
{
    [Fact]
    public void Records_transactions_in_order_as_they_were_when_applied()
    {
        var fake = new RecordingNftables();
        var first = KubeProxyLikeTable.FirstSync();
        var second = KubeProxyLikeTable.SecondSync();
        fake.Apply(first);
        fake.Apply(second);
        first.Flush(KubeProxyLikeTable.Table); // later changes must not rewrite history

        Assert.Equal([KubeProxyLikeTable.FirstSync().Render(), second.Render()], fake.Transactions.Select(t => t.Render()));
        Assert.Same(fake.Transactions[1], fake.Last);
        Assert.Equal(NftVerb.Delete, fake.Last!.Commands[^1].Verb);
    }

    [Fact]
    public void Can_fail_the_next_apply_once_without_recording_it()
    {
        var fake = new RecordingNftables();
        fake.FailNextApply(new NftablesException("apply nftables transaction (1 table) in netns fake", "boom"));
        Assert.Throws<NftablesException>(() => fake.Apply(KubeProxyLikeTable.FirstSync()));
        Assert.Empty(fake.Transactions);
        fake.Apply(KubeProxyLikeTable.FirstSync());
        Assert.Single(fake.Transactions);
    }

    [Fact]
    public void Lists_what_the_test_provides()
    {
        var fake = new RecordingNftables();
        Assert.Null(fake.ListTable(NftFamily.Ip, "kube-proxy"));
        var state = new NftTableState(NftFamily.Ip, "kube-proxy", 1, [], [], []);
        fake.TableListing = (family, name) => family == NftFamily.Ip && name == "kube-proxy" ? state : null;
        fake.TableTextListing = (_, _) => "table ip kube-proxy {\n}\n";
        Assert.Same(state, fake.ListTable(NftFamily.Ip, "kube-proxy"));
        Assert.Null(fake.ListTable(NftFamily.Inet, "kube-proxy"));
        Assert.StartsWith("table ip kube-proxy", fake.ListTableText(NftFamily.Ip, "kube-proxy"));
    }
}
