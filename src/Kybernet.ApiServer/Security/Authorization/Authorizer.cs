using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Security.Rbac;

namespace Kybernet.ApiServer.Security.Authorization;

/// <summary>
/// Decides requests: system:masters may do anything (upstream's privileged-group authorizer, ahead of
/// RBAC); everyone else what RBAC allows, read from the <see cref="RbacCache"/>'s current policy.
/// </summary>
public sealed class Authorizer(RbacCache rbac)
{
    public bool Allows(RequestAttributes request) => request.User.IsMaster || rbac.Policy.Allows(request);

    /// <summary>Throws upstream's 403 Forbidden unless the request is allowed.</summary>
    public void Require(RequestAttributes request)
    {
        if (!Allows(request))
            throw Forbidden(request);
    }

    /// <summary>
    /// Upstream's words: "pods is forbidden: User "u" cannot list resource "pods" in API group "" in the
    /// namespace "default"", "... at the cluster scope", or "forbidden: User "u" cannot get path "/x"".
    /// </summary>
    public static ApiException Forbidden(RequestAttributes request)
    {
        var user = request.User.Name;
        if (!request.IsResourceRequest)
            return new ApiException(403, "Forbidden", $"forbidden: User \"{user}\" cannot {request.Verb} path \"{request.Path}\"");
        return new ApiException(403, "Forbidden", $"{ForbiddenObject(request)} is forbidden: {Reason(request)}",
            request.Name.Length > 0 ? request.Name : null, request.ApiGroup, request.Resource);
    }

    /// <summary>The sentence RBAC gives for a denied resource request (also a SubjectAccessReview's reason).</summary>
    public static string Reason(RequestAttributes request)
    {
        var resource = request.Subresource.Length > 0 ? $"{request.Resource}/{request.Subresource}" : request.Resource;
        var scope = request.Namespace.Length > 0 ? $"in the namespace \"{request.Namespace}\"" : "at the cluster scope";
        return $"User \"{request.User.Name}\" cannot {request.Verb} resource \"{resource}\" in API group \"{request.ApiGroup}\" {scope}";
    }

    private static string ForbiddenObject(RequestAttributes request)
    {
        var qualified = request.ApiGroup.Length > 0 ? $"{request.Resource}.{request.ApiGroup}" : request.Resource;
        return request.Name.Length > 0 ? $"{qualified} \"{request.Name}\"" : qualified;
    }
}
