using Kybernet.Linux.Tun;

// Not "...Tests.Sysctl": a namespace of that name would shadow the Sysctl type.
namespace Kybernet.Linux.Tests;

public class SysctlTests
{
    private const string RootIpForward = "/proc/sys/net/ipv4/ip_forward";

    [Fact]
    public void Setting_ip_forward_inside_a_namespace_reads_back_there_and_leaves_the_root_namespace_alone()
    {
        var rootBefore = File.ReadAllText(RootIpForward); // read only: tests never write root's sysctls
        using var ns = new TestNamespace();

        Sysctl.Set(ns, "net.ipv4.ip_forward", "1");

        Assert.Equal("1", Sysctl.Get(ns, "net.ipv4.ip_forward"));
        Assert.Equal(rootBefore, File.ReadAllText(RootIpForward));
    }

    [Fact]
    public void Net_sysctls_resolve_to_the_namespace_of_the_thread_that_opens_them()
    {
        // New namespaces copy ip_forward from the root one, so flip it to tell the two apart whatever root has.
        var root = File.ReadAllText(RootIpForward).Trim();
        var other = root == "1" ? "0" : "1";
        using var a = new TestNamespace();
        using var b = new TestNamespace();

        Sysctl.Set(a, "net.ipv4.ip_forward", other);

        Assert.Equal(other, Sysctl.Get(a, "net.ipv4.ip_forward"));
        Assert.Equal(root, Sysctl.Get(b, "net.ipv4.ip_forward"));
        Assert.Equal(root, File.ReadAllText(RootIpForward).Trim());
        Assert.Equal(other, Tool.Run("ip", "netns", "exec", a.Name, "cat", RootIpForward).Trim());
    }

    [Fact]
    public void Interface_names_with_dots_work_in_slash_and_dotted_forms()
    {
        using var ns = new TestNamespace();
        using var tun = TunDevice.Open(ns, "t0.100");

        Sysctl.Set(ns, "net/ipv4/conf/t0.100/rp_filter", "2");
        Assert.Equal("2", Sysctl.Get(ns, "net.ipv4.conf.t0.100.rp_filter"));
        Sysctl.Set(ns, "net.ipv4.conf.t0.100.rp_filter", "1");
        Assert.Equal("1", Tool.Run("ip", "netns", "exec", ns.Name, "cat", "/proc/sys/net/ipv4/conf/t0.100/rp_filter").Trim());
    }

    [Theory]
    [InlineData("net.ipv4.ip_forward", "/proc/sys/net/ipv4/ip_forward")]
    [InlineData("net.ipv4.conf.all.rp_filter", "/proc/sys/net/ipv4/conf/all/rp_filter")]
    [InlineData("net.ipv4.conf.eth0.route_localnet", "/proc/sys/net/ipv4/conf/eth0/route_localnet")]
    [InlineData("net.ipv4.conf.eth0.100.rp_filter", "/proc/sys/net/ipv4/conf/eth0.100/rp_filter")]
    [InlineData("net.ipv6.neigh.br.lan.1.retrans_time_ms", "/proc/sys/net/ipv6/neigh/br.lan.1/retrans_time_ms")]
    [InlineData("net/ipv4/conf/eth0.100/rp_filter", "/proc/sys/net/ipv4/conf/eth0.100/rp_filter")]
    public void Keys_map_to_proc_sys_paths(string key, string path) => Assert.Equal(path, Sysctl.PathOf(key));

    [Theory]
    [InlineData("vm.swappiness")]
    [InlineData("kernel.hostname")]
    [InlineData("net..ipv4")]
    [InlineData("net/ipv4/../../vm/swappiness")]
    [InlineData("")]
    public void Keys_outside_net_or_malformed_are_refused(string key) =>
        Assert.Throws<ArgumentException>(() => Sysctl.PathOf(key));

    [Fact]
    public void An_unknown_key_fails_naming_the_key_and_the_namespace()
    {
        using var ns = new TestNamespace();
        var error = Assert.Throws<LinuxException>(() => Sysctl.Get(ns, "net.ipv4.no_such_knob"));
        Assert.Equal("ENOENT", error.ErrorName);
        Assert.Contains("net.ipv4.no_such_knob", error.Message);
        Assert.Contains($"netns {ns.Name}", error.Message);

        var setError = Assert.Throws<LinuxException>(() => Sysctl.Set(ns, "net.ipv4.conf.nosuchlink.rp_filter", "1"));
        Assert.Equal("ENOENT", setError.ErrorName);
    }

    [Fact]
    public void A_value_the_kernel_refuses_fails_naming_key_value_and_namespace()
    {
        using var ns = new TestNamespace();
        var error = Assert.Throws<LinuxException>(() => Sysctl.Set(ns, "net.ipv4.ip_forward", "banana"));
        Assert.Equal("EINVAL", error.ErrorName);
        Assert.Contains("net.ipv4.ip_forward=banana", error.Message);
        Assert.Contains($"netns {ns.Name}", error.Message);
    }
}
