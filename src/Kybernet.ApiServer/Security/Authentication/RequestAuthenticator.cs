using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Kybernet.ApiServer.Security.Authentication;

/// <summary>
/// The authentication chain, in upstream's order of a bearer token's checks: the admin token
/// (DATA_DIR/pki/admin.token: kubernetes-admin in system:masters), then the server's JWTs
/// (ServiceAccount and identity tokens, <see cref="TokenAuthenticator"/>). No token: anonymous (null
/// user, no error); a token nobody accepts: the reason, for the 401.
/// </summary>
public sealed class RequestAuthenticator(string adminToken, TokenAuthenticator tokens)
{
    private readonly byte[] _admin = Encoding.UTF8.GetBytes(adminToken);

    public async Task<TokenResult?> AuthenticateAsync(HttpContext context)
    {
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length == 0)
            return null;
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            return TokenResult.Refused("only bearer tokens are accepted");
        var token = header["Bearer ".Length..].Trim();
        // Constant-time, so response timing says nothing about how much of a guess was right.
        if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), _admin))
            return new TokenResult(UserInfo.Admin, TokenIssuer.ApiAudiences, null);
        return await tokens.AuthenticateAsync(token, TokenIssuer.ApiAudiences, context.RequestAborted);
    }
}
