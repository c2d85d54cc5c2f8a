using System.Text.Json;
using System.Text.Json.Serialization;

namespace Kybernet.ApiServer.Storage;

/// <summary>
/// The continue token of a paginated list, in upstream's format (k8s.io/apiserver storage's
/// continueToken), so tokens look and behave as clients know them: unpadded base64url of
/// {"v":"meta.k8s.io/v1","rv":REVISION,"start":KEY}, where KEY is the key the next page starts at,
/// relative to the list's prefix (the last key returned, plus "\0", the smallest key after it).
/// The revision is the snapshot every page is read at; -1 (what a 410 hands out) means "now".
/// </summary>
public static class ContinueToken
{
    private const string Version = "meta.k8s.io/v1";

    private sealed record Token(
        [property: JsonPropertyName("v")] string? V,
        [property: JsonPropertyName("rv")] long Rv,
        [property: JsonPropertyName("start")] string? Start);

    /// <summary>The token for a next page starting at <paramref name="nextKey"/> (a key under <paramref name="prefix"/>), read at <paramref name="revision"/>.</summary>
    public static string Encode(string nextKey, string prefix, long revision)
    {
        if (!nextKey.StartsWith(prefix, StringComparison.Ordinal) || nextKey.Length == prefix.Length)
            throw new ArgumentException($"the next key {nextKey} is not under the list's prefix {prefix}", nameof(nextKey));
        var json = JsonSerializer.SerializeToUtf8Bytes(new Token(Version, revision, nextKey[prefix.Length..]));
        return Convert.ToBase64String(json).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    /// <summary>
    /// The full key the next page starts at and the revision to read it at (-1: the current one).
    /// A token that is not one of ours is a <see cref="FormatException"/> worded as upstream's
    /// ("continue key is not valid: ..."), which the list answers with 400.
    /// </summary>
    public static (string StartKey, long Revision) Decode(string token, string prefix)
    {
        Token? decoded;
        try
        {
            decoded = JsonSerializer.Deserialize<Token>(FromBase64Url(token));
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw new FormatException($"continue key is not valid: {e.Message}", e);
        }
        if (decoded?.V != Version)
            throw new FormatException($"continue key is not valid: server does not recognize this encoded version {decoded?.V}");
        if (decoded.Rv == 0)
            throw new FormatException($"continue key is not valid: incorrect encoded start resourceVersion (version {Version})");
        if (string.IsNullOrEmpty(decoded.Start))
            throw new FormatException($"continue key is not valid: encoded start key empty (version {Version})");
        // A key that climbs out of the list's prefix ("../other/x") or is spelled unusually ("a//b")
        // is refused, as upstream's path.Clean check does, so a token can only page within its list.
        var rooted = decoded.Start.StartsWith('/') ? decoded.Start : "/" + decoded.Start;
        if (!IsClean(rooted))
            throw new FormatException($"continue key is not valid: {decoded.Start}");
        return (prefix + rooted[1..], decoded.Rv);
    }

    /// <summary>Whether Go's path.Clean would leave the rooted path as it is: no empty, "." or ".." segments, no trailing "/".</summary>
    private static bool IsClean(string rooted) =>
        rooted == "/" || rooted[1..].Split('/').All(segment => segment is not ("" or "." or ".."));

    private static byte[] FromBase64Url(string text)
    {
        // Unpadded base64url only, as Go's RawURLEncoding: padding or the standard alphabet is an error.
        if (text.Contains('=') || text.Contains('+') || text.Contains('/') || text.Length % 4 == 1)
            throw new FormatException("illegal base64 data");
        var standard = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(standard + new string('=', (4 - standard.Length % 4) % 4));
    }
}
