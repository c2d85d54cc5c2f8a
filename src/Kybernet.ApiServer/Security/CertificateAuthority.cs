using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kybernet.ApiServer.Security;

/// <summary>
/// The cluster's own CA and the API server's certificate, made on first start and kept in the data
/// directory (ca.crt/ca.key, apiserver.crt/apiserver.key), so clients keep trusting the server across
/// restarts. ECDSA P-256, as kubeadm and k3s do.
/// </summary>
public sealed class CertificateAuthority
{
    private CertificateAuthority(X509Certificate2 ca, X509Certificate2 server, X509Certificate2 kubeletClient)
    {
        Ca = ca;
        Server = server;
        KubeletClient = kubeletClient;
    }

    /// <summary>The common name of <see cref="KubeletClient"/>, the one identity kubelets let in.</summary>
    public const string KubeletClientName = "kube-apiserver-kubelet-client";

    /// <summary>The CA certificate's file in the directory given to <see cref="LoadOrCreate"/>.</summary>
    public const string CertificateFile = "ca.crt";

    public X509Certificate2 Ca { get; }

    /// <summary>The serving certificate, with its private key.</summary>
    public X509Certificate2 Server { get; }

    /// <summary>The client certificate, with its private key, that the server shows a kubelet it calls (logs, exec...).</summary>
    public X509Certificate2 KubeletClient { get; }

    public string CaPem => Ca.ExportCertificatePem();

    public static CertificateAuthority LoadOrCreate(string directory, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses)
    {
        SecretFile.CreateDirectory(directory);
        var caCert = Path.Combine(directory, CertificateFile);
        var caKey = Path.Combine(directory, "ca.key");
        var serverCert = Path.Combine(directory, "apiserver.crt");
        var serverKey = Path.Combine(directory, "apiserver.key");

        X509Certificate2 ca;
        if (File.Exists(caCert) && File.Exists(caKey))
            ca = X509Certificate2.CreateFromPemFile(caCert, caKey);
        else
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=kybernet-ca", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(10));
            WriteSecret(caKey, key.ExportPkcs8PrivateKeyPem());
            WriteAtomically(caCert, ca.ExportCertificatePem());
        }

        var wantedNames = dnsNames.ToHashSet();
        var wantedIps = addresses.Select(a => a.ToString()).ToHashSet();
        if (File.Exists(serverCert) && File.Exists(serverKey))
        {
            var existing = X509Certificate2.CreateFromPemFile(serverCert, serverKey);
            if (Covers(existing, wantedNames, wantedIps) && existing.NotAfter > DateTime.UtcNow.AddDays(30))
                return new CertificateAuthority(ca, Reload(existing), KubeletClientOf(ca, directory));
        }

        Issue(ca, serverCert, serverKey, "CN=kube-apiserver", ServerAuth, wantedNames, addresses);
        return new CertificateAuthority(ca, Reload(X509Certificate2.CreateFromPemFile(serverCert, serverKey)), KubeletClientOf(ca, directory));
    }

    /// <summary>The CA of <paramref name="directory"/> with its key, for issuing; it must exist (the server made it).</summary>
    public static X509Certificate2 LoadCa(string directory)
    {
        var caCert = Path.Combine(directory, CertificateFile);
        var caKey = Path.Combine(directory, "ca.key");
        if (!File.Exists(caCert) || !File.Exists(caKey))
            throw new ArgumentException($"{caCert} or its key does not exist: the server makes them on its first start");
        return X509Certificate2.CreateFromPemFile(caCert, caKey);
    }

    /// <summary>
    /// A kubelet's serving certificate (CN=system:node:NAME, O=system:nodes, the node's name and address as
    /// SANs), as a kubelet gets it approved upstream; written to <paramref name="certPath"/> and <paramref name="keyPath"/>.
    /// </summary>
    public static void IssueKubeletServing(X509Certificate2 ca, string node, IEnumerable<IPAddress> addresses, string certPath, string keyPath) =>
        Issue(ca, certPath, keyPath, $"CN=system:node:{node}, O=system:nodes", ServerAuth, [node], addresses);

    /// <summary>
    /// The client certificate the server shows kubelets (kubeadm's apiserver-kubelet-client: CN
    /// kube-apiserver-kubelet-client, O system:masters), made once and kept beside the CA.
    /// </summary>
    private static X509Certificate2 KubeletClientOf(X509Certificate2 ca, string directory)
    {
        var cert = Path.Combine(directory, "apiserver-kubelet-client.crt");
        var key = Path.Combine(directory, "apiserver-kubelet-client.key");
        if (!File.Exists(cert) || !File.Exists(key) || X509Certificate2.CreateFromPemFile(cert, key) is { } old && (old.NotAfter <= DateTime.UtcNow.AddDays(30) || old.Issuer != ca.Subject))
            Issue(ca, cert, key, $"CN={KubeletClientName}, O=system:masters", ClientAuth, [], []);
        return Reload(X509Certificate2.CreateFromPemFile(cert, key));
    }

    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    private static void Issue(X509Certificate2 ca, string certPath, string keyPath, string subject, Oid usage, IEnumerable<string> dnsNames, IEnumerable<IPAddress> addresses)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        var anyName = false;
        foreach (var name in dnsNames) { san.AddDnsName(name); anyName = true; }
        foreach (var ip in addresses) { san.AddIpAddress(ip); anyName = true; }
        if (anyName)
            request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([usage], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1), serial);
        WriteSecret(keyPath, key.ExportPkcs8PrivateKeyPem());
        WriteAtomically(certPath, issued.ExportCertificatePem());
    }

    /// <summary>Kestrel on Linux wants a certificate whose key is not ephemeral: round-trip through PKCS#12.</summary>
    private static X509Certificate2 Reload(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);

    private static bool Covers(X509Certificate2 cert, HashSet<string> names, HashSet<string> ips)
    {
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (san is null) return false;
        var haveNames = san.EnumerateDnsNames().ToHashSet();
        var haveIps = san.EnumerateIPAddresses().Select(a => a.ToString()).ToHashSet();
        return names.IsSubsetOf(haveNames) && ips.IsSubsetOf(haveIps);
    }

    private static void WriteSecret(string path, string text) => SecretFile.Write(path, text);

    private static void WriteAtomically(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
