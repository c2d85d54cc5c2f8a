using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Kybernet.Kubelet.Server;

namespace Kybernet.Kubelet.Tests.Server;

public sealed class ClientCertificateCheckTests
{
    private static readonly DateTime Now = DateTime.UtcNow;

    private static X509Certificate2 Ca(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return request.CreateSelfSigned(Now.AddMinutes(-5), Now.AddDays(1));
    }

    private static X509Certificate2 Client(X509Certificate2 ca, string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        return request.Create(ca, Now.AddMinutes(-1), Now.AddHours(1), [1, 2, 3, 4]);
    }

    [Fact]
    public void Only_the_api_servers_certificate_from_the_cluster_ca_gets_in()
    {
        using var ca = Ca("cluster");
        using var other = Ca("other");
        X509Certificate2Collection trusted = [ca];

        Assert.Equal(401, ClientCertificateCheck.Check(null, trusted, Now).Status);
        Assert.True(ClientCertificateCheck.Check(Client(ca, "CN=kube-apiserver-kubelet-client, O=system:masters"), trusted, Now).Allowed);
        Assert.True(ClientCertificateCheck.Check(Client(ca, "CN=kubernetes-admin, O=system:masters"), trusted, Now).Allowed);
        Assert.Equal(401, ClientCertificateCheck.Check(Client(other, "CN=kube-apiserver-kubelet-client"), trusted, Now).Status);
        var node = ClientCertificateCheck.Check(Client(ca, "CN=system:node:node-2, O=system:nodes"), trusted, Now);
        Assert.Equal((403, "Forbidden (user=system:node:node-2, verb=get, resource=nodes, subresource=proxy)"), (node.Status, node.Message));
    }
}
