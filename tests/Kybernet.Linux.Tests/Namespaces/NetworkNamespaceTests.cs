using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Processes;

namespace Kybernet.Linux.Tests.Namespaces;

public class NetworkNamespaceTests
{
    [Fact]
    public void Create_pins_a_new_namespace_that_ip_netns_sees_and_delete_removes_it()
    {
        var name = TestNames.Unique();
        try
        {
            using (var ns = NetworkNamespace.Create(name))
            {
                Assert.True(NetworkNamespace.Exists(name));
                Assert.Contains(name, NetworkNamespace.List());
                Assert.Contains(name, Tool.Run("ip", "netns", "list"));
                Assert.NotEqual(InodeOf("/proc/thread-self/ns/net"), ns.Run(() => InodeOf("/proc/thread-self/ns/net")));
            }
            Assert.True(NetworkNamespace.Delete(name));
            Assert.False(NetworkNamespace.Exists(name));
            Assert.DoesNotContain(name, Tool.Run("ip", "netns", "list"));
            Assert.False(NetworkNamespace.Delete(name));
        }
        finally { NetworkNamespace.Delete(name); }
    }

    [Fact]
    public void Create_twice_fails_with_EEXIST_naming_the_namespace()
    {
        using var ns = new TestNamespace();
        var error = Assert.Throws<LinuxException>(() => NetworkNamespace.Create(ns.Name));
        Assert.Equal("EEXIST", error.ErrorName);
        Assert.Contains(ns.Name, error.Message);
    }

    [Fact]
    public void Run_moves_only_its_own_thread()
    {
        using var ns = new TestNamespace();
        var before = InodeOf("/proc/thread-self/ns/net");
        var inside = ns.Namespace.Run(() => InodeOf("/proc/thread-self/ns/net"));
        Assert.NotEqual(before, inside);
        Assert.Equal(before, InodeOf("/proc/thread-self/ns/net"));
        Assert.Equal(inside, ns.Namespace.Run(() => InodeOf("/proc/thread-self/ns/net")));
    }

    [Fact]
    public void Exceptions_inside_Run_reach_the_caller()
    {
        using var ns = new TestNamespace();
        Assert.Throws<InvalidOperationException>(() => ns.Namespace.Run(() => throw new InvalidOperationException("boom")));
    }

    [Fact]
    public void A_child_started_inside_runs_in_the_namespace()
    {
        using var ns = new TestNamespace();
        var childNs = ChildProcess.Run(new ChildProcessOptions("readlink", "/proc/self/ns/net"), TimeSpan.FromSeconds(60), inside: ns).Stdout.Trim();
        Assert.Equal(ns.Namespace.Run(() => InodeOf("/proc/thread-self/ns/net")), childNs);
        Assert.NotEqual(InodeOf("/proc/thread-self/ns/net"), childNs);
    }

    private static string InodeOf(string nsLink) => new FileInfo(nsLink).LinkTarget ?? throw new IOException(nsLink);
}
