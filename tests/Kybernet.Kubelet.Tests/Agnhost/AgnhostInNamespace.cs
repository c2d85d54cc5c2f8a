namespace Kybernet.Kubelet.Tests.Agnhost;

/// <summary>A namespace, a client in it, and one agnhost started there: the unit of the tests that end their agnhost.</summary>
public sealed class AgnhostInNamespace : IDisposable
{
    private AgnhostInNamespace(AgnhostNamespace ns, NamespaceClient client)
    {
        Namespace = ns;
        Client = client;
    }

    public AgnhostNamespace Namespace { get; }
    public NamespaceClient Client { get; }
    public AgnhostProcess Process { get; private set; } = null!;

    /// <summary>Starts agnhost ARGS and waits until <paramref name="listeningPort"/> takes connections (if given).</summary>
    public static AgnhostInNamespace Start(string[] args, int? listeningPort = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var ns = new AgnhostNamespace();
        var started = new AgnhostInNamespace(ns, new NamespaceClient(ns.Namespace));
        try
        {
            started.Process = AgnhostProcess.Start(ns.Namespace, args, environment);
            if (listeningPort is int port)
                started.Process.WaitUntil(() => started.Client.CanConnect(port), $"listening on {port}");
            return started;
        }
        catch
        {
            started.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Process?.Dispose();
        Client.Dispose();
        Namespace.Dispose();
    }
}
