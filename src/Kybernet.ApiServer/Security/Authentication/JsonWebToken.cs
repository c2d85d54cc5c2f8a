using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Security.Authentication;

/// <summary>
/// Compact JWS of a JSON claims set, signed ES256 with the server's <see cref="SigningKey"/>
/// (header {"alg":"ES256","kid":...}). Only what the server issues is accepted: any other algorithm,
/// key id or a bad signature is no token of ours.
/// </summary>
public static class JsonWebToken
{
    public static string Sign(SigningKey key, JsonObject claims)
    {
        var header = new JsonObject { ["alg"] = "ES256", ["kid"] = key.KeyId };
        var signingInput = $"{Base64Url.Encode(Encoding.UTF8.GetBytes(header.ToJsonString()))}.{Base64Url.Encode(Encoding.UTF8.GetBytes(claims.ToJsonString()))}";
        return $"{signingInput}.{Base64Url.Encode(key.Sign(Encoding.ASCII.GetBytes(signingInput)))}";
    }

    /// <summary>The claims of a token this key signed; null for anything else (not a JWT, another key, a bad signature).</summary>
    public static JsonObject? Verify(SigningKey key, string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
            return null;
        if (Base64Url.Decode(parts[0]) is not { } headerBytes || Base64Url.Decode(parts[1]) is not { } claimBytes || Base64Url.Decode(parts[2]) is not { } signature)
            return null;
        try
        {
            if (JsonNode.Parse(headerBytes) is not JsonObject header
                || header["alg"]?.GetValueKind() != JsonValueKind.String || (string)header["alg"]! != "ES256")
                return null;
            if (!key.Verify(Encoding.ASCII.GetBytes($"{parts[0]}.{parts[1]}"), signature))
                return null;
            return JsonNode.Parse(claimBytes) as JsonObject;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            // Whatever a crafted header or payload makes the parser throw: not a token of ours (401), never a 500.
            return null;
        }
    }
}
