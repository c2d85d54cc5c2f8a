using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Security.Authentication;
using Kybernet.ApiServer.Security.Authorization;
using Microsoft.AspNetCore.Http;

namespace Kybernet.ApiServer.Security;

/// <summary>
/// The one place every request passes before it is served: who sent it (the authentication chain, then
/// impersonation), and whether that user may do what it asks (the <see cref="Authorizer"/>). No
/// credentials: only the public paths (/version, /healthz, /livez, /readyz) are served; credentials
/// nobody accepts: 401 on any path, as upstream.
/// </summary>
public sealed class SecurityGate(RequestAuthenticator authenticator, Authorizer authorizer)
{
    public static readonly UserInfo Anonymous = new("system:anonymous", [UserInfo.Unauthenticated]);

    public async Task CheckAsync(HttpContext context)
    {
        var result = await authenticator.AuthenticateAsync(context);
        if (result is null)
        {
            if (!IsPublic(context.Request.Path))
                throw Unauthorized();
            RequestUser.Set(context, Anonymous);
            return;
        }
        if (result.User is not { } user)
            throw Unauthorized();
        user = Impersonation.Apply(context, user, authorizer);
        RequestUser.Set(context, user);
        authorizer.Require(RequestAttributesParser.Parse(user, context.Request.Method, context.Request.Path.Value ?? "/",
            // The first value of a parameter, as the handlers read it: a repeated ?watch=true must be judged as it is served.
            key => context.Request.Query.TryGetValue(key, out var v) && v.Count > 0 ? v[0] : null));
    }

    public static ApiException Unauthorized() => new(401, "Unauthorized", "Unauthorized");

    /// <summary>What kubectl and load balancers may ask without credentials (upstream's public-info-viewer).</summary>
    public static bool IsPublic(PathString path) =>
        path == "/version" || path == "/healthz" || path == "/livez" || path == "/readyz";
}
