using Kybernet.Linux.Namespaces;

namespace Kybernet.Linux.Tests.Namespaces;

public class NamespaceThreadTests
{
    private static string Here() => new FileInfo("/proc/thread-self/ns/net").LinkTarget!;

    [Fact]
    public void The_namespace_thread_goes_home_after_each_call()
    {
        using var ns = new TestNamespace();
        var home = Here();
        Assert.NotEqual(home, ns.Namespace.Run(Here));
        Assert.Equal(home, NamespaceThread.Invoke(enter: () => { }, work: Here));
    }

    [Fact]
    public void Nested_calls_enter_the_inner_namespace_and_come_back()
    {
        using var outer = new TestNamespace();
        using var inner = new TestNamespace();
        var (before, nested, after) = outer.Namespace.Run(() => (Here(), inner.Namespace.Run(Here), Here()));
        Assert.Equal(before, after);
        Assert.Equal(inner.Namespace.Run(Here), nested);
        Assert.NotEqual(before, nested);
    }

    [Fact]
    public void Concurrent_callers_each_see_their_own_namespace()
    {
        var namespaces = Enumerable.Range(0, 6).Select(_ => new TestNamespace()).ToList();
        try
        {
            var expected = namespaces.Select(n => n.Namespace.Run(Here)).ToList();
            var seen = new string[namespaces.Count][];
            Parallel.For(0, namespaces.Count, i => seen[i] = Enumerable.Range(0, 50).Select(_ => namespaces[i].Namespace.Run(Here)).ToArray());
            for (int i = 0; i < namespaces.Count; i++)
                Assert.All(seen[i], inode => Assert.Equal(expected[i], inode));
        }
        finally
        {
            namespaces.ForEach(n => n.Dispose());
        }
    }

    [Fact]
    public void A_failure_to_enter_is_reported_and_the_thread_keeps_serving()
    {
        var error = Assert.Throws<LinuxException>(() => NamespaceThread.Invoke<int>(
            enter: () => throw new LinuxException("enter netns nowhere", 22), work: () => 1));
        Assert.Contains("nowhere", error.Message);
        using var ns = new TestNamespace();
        Assert.NotEqual(Here(), ns.Namespace.Run(Here));
    }
}
