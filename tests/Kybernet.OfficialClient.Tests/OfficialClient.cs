namespace Kybernet.OfficialClient.Tests;

/// <summary>The official client, configured from the server's admin kubeconfig as a user would do it.</summary>
internal static class OfficialClient
{
    public static Kubernetes Admin(ServerFixture server) =>
        new(KubernetesClientConfiguration.BuildConfigFromConfigFile(server.Server.KubeconfigPath));

    /// <summary>A namespace of its own for one test, so tests of a class do not see each other's objects.</summary>
    public static async Task<string> NewNamespaceAsync(Kubernetes client, string prefix)
    {
        var name = $"{prefix}-{Guid.NewGuid():N}"[..20];
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } });
        return name;
    }
}
