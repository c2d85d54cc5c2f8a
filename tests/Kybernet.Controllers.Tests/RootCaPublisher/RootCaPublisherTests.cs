using k8s;
using k8s.Models;
using Kybernet.ApiServer;
using Kybernet.Controllers.RootCaPublisher;

namespace Kybernet.Controllers.Tests.RootCaPublisher;

/// <summary>The root CA publisher against a real API server: kube-root-ca.crt in every namespace, holding the server's CA.</summary>
public sealed class RootCaPublisherTests : IAsyncLifetime
{
    private TestApiServer _server = null!;
    private RunningController _controller = null!;
    private string _caPem = null!;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _caPem = await File.ReadAllTextAsync(ApiServerHost.CaCertificatePath(_server.DataDirectory));
        _controller = new RunningController(_server, (informers, log) => new RootCaCertPublisher(informers, _caPem, log));
    }

    public async Task DisposeAsync()
    {
        await _controller.DisposeAsync();
        await _server.DisposeAsync();
    }

    private IKubernetes Client => _server.Client;

    private async Task<V1ConfigMap?> Find(string ns)
    {
        try { return await Client.CoreV1.ReadNamespacedConfigMapAsync(RootCaCertPublisher.ConfigMapName, ns); }
        catch (k8s.Autorest.HttpOperationException e) when ((int)e.Response.StatusCode == 404) { return null; }
    }

    [Fact]
    public async Task A_new_namespace_gets_the_ca_which_comes_back_after_kubectl_delete_and_is_corrected_after_a_change()
    {
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", _caPem);
        await TestApiServer.Eventually(async () => await Find("default") is not null && await Find("kube-system") is not null, "the built-in namespaces have it");
        _server.Kubectl.Ok("create", "namespace", "team");
        await TestApiServer.Eventually(async () => await Find("team") is not null, "namespace team has it");
        var published = (await Find("team"))!;
        Assert.Equal(_caPem, published.Data["ca.crt"]);
        Assert.Equal(RootCaCertPublisher.Description, published.Metadata.Annotations["kubernetes.io/description"]);
        // What a pod would trust: the certificate the API server serves with chains to it.
        using var ca = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(published.Data["ca.crt"]);
        Assert.Equal("CN=kybernet-ca", ca.Subject);

        _server.Kubectl.Ok("delete", "configmap", "kube-root-ca.crt", "-n", "team");
        await TestApiServer.Eventually(async () => await Find("team") is { } again && again.Uid() != published.Uid(), "it comes back after a delete");

        var changed = (await Find("team"))!;
        changed.Data["ca.crt"] = "not a certificate";
        await Client.CoreV1.ReplaceNamespacedConfigMapAsync(changed, changed.Name(), "team");
        await TestApiServer.Eventually(async () => (await Find("team"))!.Data["ca.crt"] == _caPem, "a changed CA is put right");
        await TestApiServer.Eventually(() => Task.FromResult(_controller.Log.Contains("namespace team: corrected ConfigMap kube-root-ca.crt")), "the correction is logged");
    }
}
