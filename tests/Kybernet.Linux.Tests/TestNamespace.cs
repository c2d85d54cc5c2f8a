using Kybernet.Linux.Namespaces;

namespace Kybernet.Linux.Tests;

/// <summary>A throwaway namespace with a unique name, deleted (with every link in it) on dispose, even when the test failed.</summary>
public sealed class TestNamespace : IDisposable
{
    public TestNamespace()
    {
        Name = TestNames.Unique();
        Namespace = NetworkNamespace.Create(Name);
    }

    public string Name { get; }
    public NetworkNamespace Namespace { get; }

    public static implicit operator NetworkNamespace(TestNamespace t) => t.Namespace;

    /// <summary>Runs `ip -n NAME ARGS...` to read the kernel's state with iproute2, for cross-checks.</summary>
    public string Ip(params string[] args) => Tool.Run("ip", ["-n", Name, .. args]);

    public void Dispose()
    {
        Namespace.Dispose();
        NetworkNamespace.Delete(Name);
    }
}
