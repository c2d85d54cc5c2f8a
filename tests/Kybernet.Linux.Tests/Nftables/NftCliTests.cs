using Kybernet.Linux.Netlink;
using Kybernet.Linux.Nftables;
using Kybernet.Linux.Processes;
using static Kybernet.Linux.Tests.Nftables.KubeProxyLikeTable;

namespace Kybernet.Linux.Tests.Nftables;

/// <summary>
/// Against the real kernel, always inside a throwaway namespace. Every test also checks that the
/// root namespace's ruleset is exactly what it was before.
/// </summary>
public class NftCliTests
{
    [Fact]
    public void Applied_transaction_reads_back_as_tables_chains_rules_and_elements()
    {
        InThrowawayNamespace((ns, nft) =>
        {
            nft.Apply(FirstSync());

            var table = nft.ListTable(NftFamily.Ip, "kube-proxy");
            Assert.NotNull(table);
            Assert.Equal(["nat-prerouting", "services", ApiService.Name], table.Chains.Select(c => c.Name));

            var prerouting = table.FindChain("nat-prerouting")!;
            Assert.Equal(("nat", "prerouting", -100, "accept"), (prerouting.Type, prerouting.Hook, prerouting.Priority, prerouting.Policy));
            var jump = Assert.Single(prerouting.Rules);
            Assert.Equal("kubernetes service portals", jump.Comment);
            Assert.Equal("""[{"jump":{"target":"services"}}]""", jump.ExpressionsJson.Replace(" ", ""));
            Assert.Contains("\"vmap\"", Assert.Single(table.FindChain("services")!.Rules).ExpressionsJson);
            Assert.Null(table.FindChain("services")!.Hook);

            var clusterIps = table.FindSet("cluster-ips")!;
            Assert.Equal(("ipv4_addr", null, "active ClusterIPs"), (clusterIps.KeyType, clusterIps.ValueType, clusterIps.Comment));
            Assert.Equal([new NftElementState("10.96.0.1", null, null)], clusterIps.Elements);

            var serviceIps = table.FindMap("service-ips")!;
            Assert.True(serviceIps.IsMap);
            Assert.Equal(("ipv4_addr . inet_proto . inet_service", "verdict"), (serviceIps.KeyType, serviceIps.ValueType));
            Assert.Equal([new NftElementState("10.96.0.1 . tcp . 443", $"goto {ApiService.Name}", "default/kubernetes:https")], serviceIps.Elements);

            // Cross-check with nft run by ip netns exec: the table is in this namespace...
            var viaIp = Tool.Run("ip", "netns", "exec", ns.Name, "nft", "list", "table", "ip", "kube-proxy");
            Assert.Contains("jump services comment \"kubernetes service portals\"", viaIp);
            Assert.Equal(viaIp, nft.ListTableText(NftFamily.Ip, "kube-proxy"));
            // ...and not in the namespace the test runs in.
            Assert.DoesNotContain("kube-proxy", Tool.Run("nft", "list", "tables"));
        });
    }

    [Fact]
    public void Second_transaction_modifies_elements_and_chains()
    {
        InThrowawayNamespace((ns, nft) =>
        {
            nft.Apply(FirstSync());
            nft.Apply(SecondSync());

            var table = nft.ListTable(NftFamily.Ip, "kube-proxy")!;
            Assert.Equal(["nat-prerouting", "services", DnsService.Name], table.Chains.Select(c => c.Name));
            Assert.Contains("10.244.2.7", Assert.Single(table.FindChain(DnsService.Name)!.Rules).ExpressionsJson);
            Assert.Equal([new NftElementState("10.96.0.10", null, null)], table.FindSet("cluster-ips")!.Elements);
            Assert.Equal([new NftElementState("10.96.0.10 . udp . 53", $"goto {DnsService.Name}", null)], table.FindMap("service-ips")!.Elements);

            // Deleting a rule by the handle the listing reported.
            var rule = table.FindChain("nat-prerouting")!.Rules[0];
            nft.Apply(new NftTransaction().Delete(new NftRule(NatPrerouting, "") { Handle = rule.Handle }));
            Assert.Empty(nft.ListTable(NftFamily.Ip, "kube-proxy")!.FindChain("nat-prerouting")!.Rules);
        });
    }

    [Fact]
    public void A_transaction_with_an_invalid_rule_fails_clearly_and_changes_nothing()
    {
        InThrowawayNamespace((ns, nft) =>
        {
            nft.Apply(FirstSync());
            var before = nft.ListTableText(NftFamily.Ip, "kube-proxy");

            var broken = new NftTransaction()
                .Add(new NftElement(ClusterIps, "10.96.0.99"))
                .Delete(new NftElement(ServiceIps, ["10.96.0.1", "tcp", "443"], null))
                .Add(new NftChain(Table, "half-done"))
                .Add(new NftRule(Services, "ip daddr 10.96.0.99 frobnicate"));
            var error = Assert.Throws<NftablesException>(() => nft.Apply(broken));

            Assert.Equal($"apply nftables transaction (1 chain, 1 rule, 2 elements) in netns {ns.Name}", error.Operation);
            Assert.StartsWith(error.Operation + ": ", error.Message);
            Assert.Contains("Error", error.NftMessage);
            Assert.Contains("frobnicate", error.NftMessage);
            Assert.Equal(before, nft.ListTableText(NftFamily.Ip, "kube-proxy"));
        });
    }

    [Fact]
    public void Deleting_the_table_leaves_an_empty_ruleset()
    {
        InThrowawayNamespace((ns, nft) =>
        {
            nft.Apply(FirstSync());
            Assert.NotEqual("", nft.ListRulesetText());

            nft.Apply(new NftTransaction().Delete(Table));

            Assert.Equal("", nft.ListRulesetText());
            Assert.Equal("", Tool.Run("ip", "netns", "exec", ns.Name, "nft", "list", "ruleset"));
            Assert.Null(nft.ListTable(NftFamily.Ip, "kube-proxy"));
            Assert.Null(nft.ListTableText(NftFamily.Ip, "kube-proxy"));
        });
    }

    [Fact]
    public void Failures_outside_transactions_name_the_operation_and_namespace()
    {
        InThrowawayNamespace((ns, nft) =>
        {
            var missing = Assert.Throws<NftablesException>(() => new NftCli(ns, "/nonexistent/nft").Apply(FirstSync()));
            Assert.Contains($"in netns {ns.Name}: could not start /nonexistent/nft", missing.Message);

            var deleteMissing = Assert.Throws<NftablesException>(() => nft.Apply(new NftTransaction().Delete(Table)));
            Assert.Contains("(1 table)", deleteMissing.Message);
            Assert.Contains("No such file or directory", deleteMissing.Message);

            nft.Apply(new NftTransaction()); // empty: nothing to run
            Assert.Equal("", nft.ListRulesetText());
        });
    }

    [Fact]
    public async Task A_hung_nft_does_not_hold_up_namespace_work_elsewhere()
    {
        using var fake = new FakeNft(announce: true);
        using var ns = new TestNamespace();
        using var other = new TestNamespace();
        var hung = new NftCli(ns, fake.Path, timeout: TimeSpan.FromMinutes(10));
        var apply = Task.Run(() => hung.Apply(FirstSync()));
        int pid = fake.WaitUntilStarted(apply);
        try
        {
            // While that nft hangs: netlink in another namespace (its socket is opened on the namespace thread),
            // plain work in the hung one's namespace, and a whole real nft transaction next door. Bounded, so a
            // runner that waited for nft on the namespace thread fails here instead of hanging the run.
            var work = Task.Run(() =>
            {
                using (var netlink = RtNetlink.Open(other))
                    Assert.Contains(netlink.Links.List(), link => link.Name == "lo");
                Assert.Equal(ns.Namespace.Run(() => new FileInfo("/proc/thread-self/ns/net").LinkTarget), ProcFs.NetworkNamespaceOf(pid));
                var real = new NftCli(other);
                real.Apply(FirstSync());
                Assert.NotNull(real.ListTable(NftFamily.Ip, "kube-proxy"));
            });
            await work.WaitAsync(TimeSpan.FromMinutes(2)); // a TimeoutException if it waited for the hung nft
            Assert.False(apply.IsCompleted, "the fake nft is still hanging");
        }
        finally
        {
            Signals.Send(pid, Signals.SIGKILL); // the fake nft this test started; Apply has not reaped it, so the pid is its own
        }
        var error = await Assert.ThrowsAsync<NftablesException>(() => apply);
        Assert.Equal($"apply nftables transaction ({FirstSync().Summary}) in netns {ns.Name}: nft exited with code 137", error.Message);
    }

    [Fact]
    public void A_hung_nft_is_killed_at_its_timeout_and_names_the_operation()
    {
        using var fake = new FakeNft(announce: false);
        using var ns = new TestNamespace();
        var nft = new NftCli(ns, fake.Path, timeout: TimeSpan.FromMilliseconds(300));

        var apply = Assert.Throws<NftablesException>(() => nft.Apply(FirstSync()));
        var list = Assert.Throws<NftablesException>(() => nft.ListTable(NftFamily.Ip, "kube-proxy"));

        Assert.Equal($"apply nftables transaction ({FirstSync().Summary}) in netns {ns.Name}: nft gave no answer within 0.3 s and was killed", apply.Message);
        Assert.Equal($"list nftables table ip kube-proxy in netns {ns.Name}", list.Operation);
        Assert.Empty(ProcFs.Find(argv => argv.Contains(fake.Marker))); // killed and reaped
    }

    /// <summary>An nft that hangs: a script that sleeps, after telling its pid through a FIFO when asked to.</summary>
    private sealed class FakeNft : IDisposable
    {
        private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kyt-nft-");

        public FakeNft(bool announce)
        {
            Marker = $"3{Random.Shared.Next(100000, 999999)}"; // a sleep length no other process has
            if (announce)
                Tool.Run("mkfifo", Started);
            File.WriteAllText(Path, $"#!/bin/sh\n{(announce ? $"echo $$ > {Started}\n" : "")}exec sleep {Marker}\n");
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        public string Path => System.IO.Path.Combine(_dir.FullName, "nft");
        public string Marker { get; }
        private string Started => System.IO.Path.Combine(_dir.FullName, "started");

        /// <summary>The fake's pid once it runs (it execs sleep, so the pid stays); the apply's own failure if that ends first.</summary>
        public int WaitUntilStarted(Task apply)
        {
            var started = Task.Run(() => File.ReadAllText(Started));
            if (Task.WaitAny(started, apply) == 1)
            {
                File.WriteAllText(Started, "0"); // lets the reader go
                apply.GetAwaiter().GetResult();
                throw new InvalidOperationException("the fake nft returned without hanging");
            }
            return int.Parse(started.Result);
        }

        public void Dispose() => _dir.Delete(recursive: true);
    }

    /// <summary>Runs the test in a fresh namespace and checks the root namespace's ruleset did not change.</summary>
    private static void InThrowawayNamespace(Action<TestNamespace, NftCli> test)
    {
        var rootBefore = Tool.Run("nft", "list", "ruleset");
        using (var ns = new TestNamespace())
            test(ns, new NftCli(ns));
        Assert.Equal(rootBefore, Tool.Run("nft", "list", "ruleset"));
    }
}
