namespace Kybernet.ApiServer.Security.Authorization;

/// <summary>
/// What a request asks to do, as RBAC judges it (upstream's authorizer.Attributes): the user and the
/// verb, then either a resource (API group, resource, subresource, namespace, name) or a path.
/// </summary>
public sealed record RequestAttributes(
    UserInfo User,
    string Verb,
    bool IsResourceRequest,
    string Path = "",
    string ApiGroup = "",
    string ApiVersion = "",
    string Resource = "",
    string Subresource = "",
    string Namespace = "",
    string Name = "")
{
    /// <summary>A resource request for a resource of this catalog.</summary>
    public static RequestAttributes ForResource(UserInfo user, string verb, string group, string resource, string subresource = "", string ns = "", string name = "") =>
        new(user, verb, true, ApiGroup: group, Resource: resource, Subresource: subresource, Namespace: ns, Name: name);

    public static RequestAttributes ForPath(UserInfo user, string verb, string path) => new(user, verb, false, Path: path);
}
