using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Kybernet.Kubelet.Server;

/// <summary>The kubelet API's certificate: the files it was given, or (as upstream) a self-signed one it makes once in ROOT/pki.</summary>
public static class ServingCertificate
{
    public static X509Certificate2 Load(string? certFile, string? keyFile, string rootDirectory, string nodeName, IPAddress nodeIp)
    {
        if (certFile is not null || keyFile is not null)
        {
            if (certFile is null || keyFile is null)
                throw new ArgumentException("give both the kubelet's TLS certificate and its key, or neither");
            return Reload(X509Certificate2.CreateFromPemFile(certFile, keyFile));
        }
        var pki = Directory.CreateDirectory(Path.Combine(rootDirectory, "pki")).FullName;
        var (cert, key) = (Path.Combine(pki, "kubelet.crt"), Path.Combine(pki, "kubelet.key"));
        if (File.Exists(cert) && File.Exists(key) && X509Certificate2.CreateFromPemFile(cert, key) is { } existing && existing.NotAfter > DateTime.UtcNow.AddDays(30))
            return Reload(existing);
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={nodeName}@{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}", ecdsa, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(nodeName);
        san.AddIpAddress(nodeIp);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var self = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1));
        File.Delete(key + ".tmp");
        using (var file = new FileStream(key + ".tmp", new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite }))
        using (var writer = new StreamWriter(file))
            writer.Write(ecdsa.ExportPkcs8PrivateKeyPem()); // owner-only from the moment it exists
        File.Move(key + ".tmp", key, overwrite: true);
        File.WriteAllText(cert, self.ExportCertificatePem());
        return Reload(X509Certificate2.CreateFromPemFile(cert, key));
    }

    /// <summary>Kestrel on Linux wants a certificate whose key is not ephemeral: round-trip through PKCS#12.</summary>
    private static X509Certificate2 Reload(X509Certificate2 certificate) =>
        X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
}
