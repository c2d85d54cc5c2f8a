using System.Security.Cryptography.X509Certificates;

namespace Kybernet.Kubelet.Server;

/// <summary>
/// Who may use the kubelet's API: a client certificate issued by the cluster CA to the API server
/// (CN kube-apiserver-kubelet-client, or any certificate of the system:masters group). Upstream asks the API
/// server (SubjectAccessReview) about each other identity; here no one else is let in: no certificate is 401,
/// a certificate the CA did not issue is 401, another identity of the CA is 403.
/// </summary>
public static class ClientCertificateCheck
{
    public const string ApiServerName = "kube-apiserver-kubelet-client";
    public const string MastersGroup = "system:masters";

    public sealed record Verdict(int Status, string Message)
    {
        public bool Allowed => Status == 200;
    }

    public static Verdict Check(X509Certificate2? certificate, X509Certificate2Collection clientCas, DateTime now)
    {
        if (certificate is null)
            return new(401, "Unauthorized");
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(clientCas);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.2")); // clientAuth
        if (!chain.Build(certificate))
            return new(401, "Unauthorized");
        var user = certificate.GetNameInfo(X509NameType.SimpleName, false);
        var groups = certificate.SubjectName.EnumerateRelativeDistinguishedNames()
            .Where(n => n.GetSingleElementType().Value == "2.5.4.10") // O
            .Select(n => n.GetSingleElementValue());
        return user == ApiServerName || groups.Contains(MastersGroup)
            ? new(200, "")
            : new(403, $"Forbidden (user={user}, verb=get, resource=nodes, subresource=proxy)");
    }
}
