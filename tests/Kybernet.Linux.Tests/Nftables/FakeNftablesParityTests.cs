using System.Text;
using Kybernet.Linux.Nftables;
using static Kybernet.Linux.Tests.Nftables.KubeProxyLikeTable;

namespace Kybernet.Linux.Tests.Nftables;

/// <summary>
/// The fake against the real thing: every scenario's transactions go through <see cref="FakeNftables"/> and through
/// <see cref="NftCli"/> in a throwaway namespace, and after every step both must have accepted or both refused (for
/// the same reason), and list the same state, handles included.
/// </summary>
public class FakeNftablesParityTests
{
    private static readonly NftTable Inet = new(NftFamily.Inet, "filter") { Comment = "host firewall" };
    private static readonly NftTable Bridge = new(NftFamily.Bridge, "frames");
    private static readonly NftTable Ports = new(NftFamily.Ip, "ports");
    private static readonly NftMap HostPorts = new(Ports, "hostports", "inet_proto . inet_service", "ipv4_addr . inet_service") { Comment = "host port -> container" };
    private static readonly NftSet Hairpins = new(Ports, "hairpins", "ipv4_addr . ipv4_addr");
    private static readonly NftChain PortsPrerouting = new(Ports, "prerouting") { Type = NftChainType.Nat, Hook = NftHook.Prerouting, Priority = "dstnat" };

    public static TheoryData<string> Scenarios => [.. Steps.Keys];

    private static readonly Dictionary<string, Func<IReadOnlyList<NftTransaction>>> Steps = new()
    {
        ["kube-proxy syncs"] = () =>
        [
            FirstSync(),
            SecondSync(),
            new NftTransaction().Delete(new NftRule(NatPrerouting, "") { Handle = 6 }),
            FirstSync(), // everything again: chains and sets exist, rules and elements are added anew
        ],
        ["refusals"] = () =>
        [
            FirstSync(),
            new NftTransaction().Add(new NftElement(ClusterIps, "10.96.0.99")).Add(new NftChain(Table, "half-done")).Delete(new NftTable(NftFamily.Inet, "nosuch")),
            new NftTransaction().Delete(new NftChain(Table, "nosuch")).Add(new NftChain(Table, "x")).Add(new NftRule(Services, "accept")),
            new NftTransaction().Add(new NftChain(Table, "y")).Add(new NftRule(Services, "ip daddr @nosuch accept")),
            new NftTransaction().Create(Table),
            new NftTransaction().Create(Services),
            new NftTransaction().Create(ClusterIps),
            new NftTransaction().Create(new NftElement(ClusterIps, "10.96.0.1")),
            new NftTransaction().Add(ClusterIps with { Type = "ipv4_addr . inet_service" }),
            new NftTransaction().Add(ServiceIps with { ValueType = "ipv4_addr" }),
            new NftTransaction().Delete(ApiService),
            new NftTransaction().Delete(ServiceIps),
            new NftTransaction().Add(NatPrerouting with { Priority = "10" }),
            new NftTransaction().Add(NatPrerouting with { Hook = NftHook.Output, Priority = "-100" }),
            new NftTransaction().Add(Services with { Type = NftChainType.Filter, Hook = NftHook.Input, Priority = "0" }),
            new NftTransaction().Add(NatPrerouting with { Priority = "-100", Policy = NftPolicy.Drop }),
            new NftTransaction().Add(new NftChain(Table, NatPrerouting.Name)),
            new NftTransaction().Add(new NftElement(ServiceIps, ["10.96.0.1", "tcp", "443"], "accept")),
            new NftTransaction().Add(new NftElement(ServiceIps, ["10.96.0.1", "tcp", "443"], $"goto {ApiService.Name}") { Comment = "other" }),
            new NftTransaction().Add(new NftElement(ServiceIps, ["10.96.0.2", "tcp", "443"], "goto nosuch")),
            new NftTransaction().Add(new NftElement(new NftMap(Table, "cluster-ips", "ipv4_addr", "verdict"), ["10.96.0.2"], "accept")),
            new NftTransaction().Add(new NftElement(new NftSet(Table, "service-ips", "ipv4_addr . inet_proto . inet_service"), "10.96.0.2", "tcp", "443")),
            new NftTransaction().Add(new NftElement(new NftSet(Table, "nosuch", "ipv4_addr"), "10.96.0.2")),
            new NftTransaction().Delete(new NftElement(ClusterIps, "10.96.0.2")),
            new NftTransaction().Add(new NftRule(Services, "jump nosuch")),
            new NftTransaction().Add(new NftRule(new NftChain(Table, "nosuch"), "accept")),
            new NftTransaction().Insert(new NftRule(new NftChain(Table, "nosuch"), "accept")),
            new NftTransaction().Delete(new NftRule(Services, "") { Handle = 99 }),
            new NftTransaction().Flush(new NftChain(Table, "nosuch")),
            new NftTransaction().Flush(new NftSet(Table, "nosuch", "ipv4_addr")),
            new NftTransaction().Flush(new NftSet(Table, "service-ips", "ipv4_addr")),
            new NftTransaction().Delete(new NftSet(Table, "nosuch", "ipv4_addr")),
            new NftTransaction().Add(new NftChain(new NftTable(NftFamily.Ip, "nosuch"), "c")),
            new NftTransaction().Flush(new NftChain(new NftTable(NftFamily.Ip, "nosuch"), "c")),
            new NftTransaction().Add(new NftChain(Table, "after-all-that")), // its handle shows which refusals used handles up
        ],
        ["rules with set literals, inserts and deletes by handle"] = () =>
        [
            new NftTransaction().Add(Table).Add(Services).Add(ApiService).Add(ClusterIps),
            new NftTransaction()
                .Add(new NftRule(Services, "ip daddr { 10.0.0.1, 10.0.0.2 } accept") { Comment = "two" })
                .Add(new NftRule(Services, "ip daddr { 10.0.0.3 } accept") { Comment = "one" })
                .Add(new NftRule(Services, "ip daddr . tcp dport { 10.0.0.4 . 80, 10.0.0.5 . 443 } accept"))
                .Add(new NftRule(Services, $"ip daddr vmap {{ 10.0.0.6 : jump {ApiService.Name} }}"))
                .Add(new NftRule(Services, "ip daddr @cluster-ips tcp dport { 80, 443 } ip saddr { 10.1.0.1, 10.1.0.2 } drop"))
                .Insert(new NftRule(Services, "ct state invalid drop") { Comment = "first" }),
            new NftTransaction().Delete(new NftRule(Services, "") { Handle = 8 }).Delete(new NftRule(Services, "") { Handle = 15 }),
            new NftTransaction().Delete(ApiService),
            new NftTransaction().Flush(Services).Delete(ApiService).Delete(ClusterIps),
        ],
        ["flushes and deletes"] = () =>
        [
            FirstSync(),
            new NftTransaction().Flush(Table),
            new NftTransaction().Flush(ServiceIps).Flush(ClusterIps),
            new NftTransaction().Delete(new NftSet(Table, "service-ips", "ipv4_addr")).Delete(ClusterIps),
            new NftTransaction().Delete(Table),
            new NftTransaction().Delete(Table),
            FirstSync(), // a table made again gets the namespace's next table handle
        ],
        ["families and priorities"] = () =>
        [
            new NftTransaction().Add(Inet)
                .Add(new NftChain(Inet, "input") { Type = NftChainType.Filter, Hook = NftHook.Input, Priority = "filter + 10", Policy = NftPolicy.Drop })
                .Add(new NftChain(Inet, "early") { Type = NftChainType.Filter, Hook = NftHook.Prerouting, Priority = "mangle - 5" })
                .Add(new NftChain(Inet, "late") { Type = NftChainType.Filter, Hook = NftHook.Postrouting, Priority = "srcnat" })
                .Add(new NftRule(new NftChain(Inet, "input"), "ct state established,related accept"))
                .Add(Bridge)
                .Add(new NftChain(Bridge, "bpre") { Type = NftChainType.Filter, Hook = NftHook.Prerouting, Priority = "dstnat" })
                .Add(new NftChain(Bridge, "bforward") { Type = NftChainType.Filter, Hook = NftHook.Forward, Priority = "filter" })
                .Add(new NftChain(Bridge, "boutput") { Type = NftChainType.Filter, Hook = NftHook.Output, Priority = "out" }),
            new NftTransaction().Add(new NftChain(Bridge, "bad") { Type = NftChainType.Filter, Hook = NftHook.Output, Priority = "dstnat" }),
            new NftTransaction().Add(new NftChain(Inet, "bad") { Type = NftChainType.Filter, Hook = NftHook.Input, Priority = "srcnat" }),
            new NftTransaction().Add(new NftChain(Inet, "input") { Type = NftChainType.Filter, Hook = NftHook.Input, Priority = "10" }),
        ],
        ["a portmap-like table"] = () =>
        [
            new NftTransaction().Add(Ports).Add(HostPorts).Add(Hairpins).Add(PortsPrerouting).Flush(PortsPrerouting)
                .Add(new NftRule(PortsPrerouting, "fib daddr type local dnat ip to meta l4proto . th dport map @hostports"))
                .Add(new NftElement(HostPorts, ["tcp", "8080"], "10.244.1.2 . 80") { Comment = "c1/eth0" })
                .Add(new NftElement(Hairpins, "10.244.1.2", "10.244.1.2") { Comment = "c1/eth0" }),
            new NftTransaction().Add(Ports).Add(HostPorts).Add(Hairpins).Add(PortsPrerouting).Flush(PortsPrerouting)
                .Add(new NftRule(PortsPrerouting, "fib daddr type local dnat ip to meta l4proto . th dport map @hostports"))
                .Add(new NftElement(HostPorts, ["udp", "9053"], "10.244.1.3 . 53") { Comment = "c2/eth0" }),
            new NftTransaction().Add(new NftElement(HostPorts, ["tcp", "8080"], "10.244.1.2 . 80")).Delete(new NftElement(HostPorts, ["tcp", "8080"], null))
                .Add(new NftElement(Hairpins, "10.244.1.2", "10.244.1.2")).Delete(new NftElement(Hairpins, "10.244.1.2", "10.244.1.2")),
        ],
    };

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void The_fake_accepts_refuses_and_lists_as_nft_does(string scenario)
    {
        using var ns = new TestNamespace();
        var real = new NftCli(ns);
        var fake = new FakeNftables();
        var steps = Steps[scenario]();
        for (int i = 0; i < steps.Count; i++)
        {
            var step = $"step {i + 1}:\n{steps[i].Render()}";
            var realError = Refusal(() => real.Apply(steps[i]));
            var fakeError = Refusal(() => fake.Apply(steps[i]));
            Assert.True(realError == fakeError, $"{step}nft: {realError ?? "applied"}\nfake: {fakeError ?? "applied"}");
            foreach (var table in steps.SelectMany(s => s.Commands).Select(c => TableOf(c.Object)).Distinct())
                Assert.True(Describe(real.ListTable(table.Family, table.Name)) == Describe(fake.ListTable(table.Family, table.Name)),
                    $"{step}nft:\n{Describe(real.ListTable(table.Family, table.Name))}\nfake:\n{Describe(fake.ListTable(table.Family, table.Name))}");
        }
    }

    [Fact]
    public void The_dump_rebuilds_the_same_ruleset_in_nft()
    {
        var fake = new FakeNftables();
        foreach (var scenario in new[] { "kube-proxy syncs", "families and priorities", "a portmap-like table" })
        {
            foreach (var step in Steps[scenario]())
                Refusal(() => fake.Apply(step));
        }
        var dump = Path.GetTempFileName();
        try
        {
            File.WriteAllText(dump, fake.Dump());
            using var ns = new TestNamespace();
            Tool.Run("ip", "netns", "exec", ns.Name, "nft", "-f", dump);

            var real = new NftCli(ns);
            foreach (var (family, name) in new[] { (NftFamily.Ip, "kube-proxy"), (NftFamily.Inet, "filter"), (NftFamily.Bridge, "frames"), (NftFamily.Ip, "ports") })
                Assert.Equal(Describe(fake.ListTable(family, name), handles: false), Describe(real.ListTable(family, name), handles: false));
        }
        finally
        {
            File.Delete(dump);
        }
    }

    /// <summary>Why nft refused, in nft's words minus the position and hints ("Could not process rule: File exists"); null if it applied.</summary>
    private static string? Refusal(Action apply)
    {
        try
        {
            apply();
            return null;
        }
        catch (NftablesException e)
        {
            var first = e.NftMessage.Split('\n')[0];
            var reason = first[(first.IndexOf("Error: ", StringComparison.Ordinal) + "Error: ".Length)..];
            return reason.Split(';')[0].Trim();
        }
    }

    private static NftTable TableOf(NftObject o) => o switch
    {
        NftTable t => t,
        NftChain c => c.Table,
        NftRule r => r.Chain.Table,
        NftSet s => s.Table,
        NftMap m => m.Table,
        NftElement e => e.Table,
        _ => throw new ArgumentException(o.ToString()),
    };

    /// <summary>
    /// A table's state as comparable text: everything NftTableState holds but a rule's expressions (the fake keeps
    /// rule text, nft its expression tree); elements sorted, since the kernel keeps no order.
    /// </summary>
    private static string Describe(NftTableState? table, bool handles = true)
    {
        if (table is null)
            return "(no table)";
        string H(ulong handle) => handles ? $" #{handle}" : "";
        var text = new StringBuilder($"table {table.Family} {table.Name}{H(table.Handle)}\n");
        // Without handles, what is compared is content: chains and sets in name order (a dump adds them so).
        var chains = handles ? table.Chains : table.Chains.OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
        var sets = table.Sets.Concat(table.Maps).OrderBy(s => handles ? 0 : 1).ThenBy(s => handles ? "" : s.Name, StringComparer.Ordinal);
        foreach (var c in chains)
        {
            text.Append($"  chain {c.Name}{H(c.Handle)} {c.Type} {c.Hook} {c.Priority} {c.Policy}\n");
            foreach (var r in c.Rules)
                text.Append($"    rule{H(r.Handle)} \"{r.Comment}\"\n");
        }
        foreach (var s in sets)
        {
            text.Append($"  {(s.IsMap ? "map" : "set")} {s.Name}{H(s.Handle)} {s.KeyType} : {s.ValueType} [{string.Join(',', s.Flags)}] \"{s.Comment}\"\n");
            foreach (var e in s.Elements.Select(e => $"    {e.Key} : {e.Value} \"{e.Comment}\"").Order(StringComparer.Ordinal))
                text.Append(e).Append('\n');
        }
        return text.ToString();
    }
}
