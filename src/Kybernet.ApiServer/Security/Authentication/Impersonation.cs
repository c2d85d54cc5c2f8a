using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Security.Authorization;
using Microsoft.AspNetCore.Http;

namespace Kybernet.ApiServer.Security.Authentication;

/// <summary>
/// Impersonate-User, Impersonate-Group, Impersonate-Uid and Impersonate-Extra-KEY (upstream's
/// impersonation filter, what `kubectl --as/--as-group` send): each impersonated attribute needs the
/// verb "impersonate" on users (or the ServiceAccount for system:serviceaccount:NS:NAME), groups, uids,
/// or authentication.k8s.io userextras/KEY, by name; then the request runs as the impersonated user
/// (with system:authenticated, and a service account's own groups when none are asked for).
/// </summary>
public static class Impersonation
{
    public const string UserHeader = "Impersonate-User";
    public const string GroupHeader = "Impersonate-Group";
    public const string UidHeader = "Impersonate-Uid";
    public const string ExtraPrefix = "Impersonate-Extra-";

    /// <summary>The user the request runs as: <paramref name="user"/> itself when nothing is impersonated.</summary>
    public static UserInfo Apply(HttpContext context, UserInfo user, Authorizer authorizer)
    {
        var headers = context.Request.Headers;
        var name = headers[UserHeader].ToString();
        var groups = headers[GroupHeader].Where(g => !string.IsNullOrEmpty(g)).Select(g => g!).ToList();
        var uid = headers[UidHeader].ToString();
        var extra = headers.Where(h => h.Key.StartsWith(ExtraPrefix, StringComparison.OrdinalIgnoreCase))
            .ToDictionary(h => Uri.UnescapeDataString(h.Key[ExtraPrefix.Length..]).ToLowerInvariant(), h => (IReadOnlyList<string>)h.Value.Select(v => v!).ToList());
        if (name.Length == 0)
        {
            if (groups.Count > 0 || uid.Length > 0 || extra.Count > 0)
                throw ApiException.BadRequest("requested impersonation of groups, uid or extra without impersonating a user");
            return user;
        }

        var serviceAccount = UserInfo.ParseServiceAccount(name);
        authorizer.Require(serviceAccount is { } sa
            ? RequestAttributes.ForResource(user, "impersonate", "", "serviceaccounts", ns: sa.Namespace, name: sa.Name)
            : RequestAttributes.ForResource(user, "impersonate", "", "users", name: name));
        foreach (var group in groups)
            authorizer.Require(RequestAttributes.ForResource(user, "impersonate", "", "groups", name: group));
        if (uid.Length > 0)
            authorizer.Require(RequestAttributes.ForResource(user, "impersonate", "", "uids", name: uid));
        foreach (var (key, values) in extra)
            foreach (var value in values)
                authorizer.Require(RequestAttributes.ForResource(user, "impersonate", "authentication.k8s.io", "userextras", key, name: value));

        if (groups.Count == 0 && serviceAccount is { } account)
            groups = [.. UserInfo.ServiceAccountGroups(account.Namespace)];
        if (!groups.Contains(UserInfo.Authenticated) && name != "system:anonymous")
            groups.Add(UserInfo.Authenticated);
        return new UserInfo(name, groups, uid.Length > 0 ? uid : null, extra.Count > 0 ? extra : null);
    }
}
