using Microsoft.AspNetCore.Http;

namespace Kybernet.ApiServer.Security;

/// <summary>Where the authenticated (and maybe impersonated) user of a request is kept for the handlers that need it.</summary>
public static class RequestUser
{
    private const string Key = "kybernet.user";

    public static void Set(HttpContext context, UserInfo user) => context.Items[Key] = user;

    /// <summary>The request's user, as the <see cref="SecurityGate"/> set it; anonymous if it never did, so a missed gate grants nothing.</summary>
    public static UserInfo Get(HttpContext context) => context.Items.TryGetValue(Key, out var u) && u is UserInfo user ? user : SecurityGate.Anonymous;
}
