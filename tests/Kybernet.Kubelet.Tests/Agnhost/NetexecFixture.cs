namespace Kybernet.Kubelet.Tests.Agnhost;

/// <summary>One `agnhost netexec` (HTTP 8080, UDP 8081) in a namespace of its own, shared by the tests of a class.</summary>
public sealed class NetexecFixture : IDisposable
{
    public NetexecFixture()
    {
        Namespace = new AgnhostNamespace();
        try
        {
            Client = new NamespaceClient(Namespace.Namespace);
            Server = AgnhostProcess.Start(Namespace.Namespace, ["netexec"]);
            Server.WaitUntil(() => Client.CanConnect(8080), "listening on 8080");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public AgnhostNamespace Namespace { get; }
    public NamespaceClient Client { get; } = null!;
    public AgnhostProcess Server { get; } = null!;

    public static string HostName => File.ReadAllText("/proc/sys/kernel/hostname").TrimEnd('\n');

    public void Dispose()
    {
        Server?.Dispose();
        Client?.Dispose();
        Namespace.Dispose();
    }
}
