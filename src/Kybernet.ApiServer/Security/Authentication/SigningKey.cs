using System.Security.Cryptography;

namespace Kybernet.ApiServer.Security.Authentication;

/// <summary>
/// The server's token signing key (DATA_DIR/pki/sa.key: ECDSA P-256, PKCS#8 PEM, made once and kept
/// across restarts, so tokens stay valid when the server restarts). ES256, as JWS names it; the key id
/// is the SHA-256 of the public key, so a verifier can tell which key signed a token.
/// </summary>
public sealed class SigningKey : IDisposable
{
    private readonly ECDsa _key;

    private SigningKey(ECDsa key)
    {
        _key = key;
        KeyId = Base64Url.Encode(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
    }

    public string KeyId { get; }

    public static SigningKey LoadOrCreate(string pkiDirectory)
    {
        var path = Path.Combine(pkiDirectory, "sa.key");
        var key = ECDsa.Create();
        if (File.Exists(path))
        {
            key.ImportFromPem(File.ReadAllText(path));
            return new SigningKey(key);
        }
        key.GenerateKey(ECCurve.NamedCurves.nistP256);
        SecretFile.CreateDirectory(pkiDirectory);
        SecretFile.Write(path, key.ExportPkcs8PrivateKeyPem());
        return new SigningKey(key);
    }

    /// <summary>A key of its own (tests: a token signed by a key the server does not have).</summary>
    public static SigningKey Generate() => new(ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>The JWS signature: r || s, 32 bytes each (IEEE P1363), as ES256 requires.</summary>
    public byte[] Sign(ReadOnlySpan<byte> data) => _key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature) =>
        _key.VerifyData(data, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    public void Dispose() => _key.Dispose();
}

/// <summary>base64url without padding (RFC 7515 §2).</summary>
public static class Base64Url
{
    public static string Encode(ReadOnlySpan<byte> data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[]? Decode(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        s += (s.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        try { return Convert.FromBase64String(s); }
        catch (FormatException) { return null; }
    }
}
