using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Security;
using Kybernet.ApiServer.Security.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kybernet.ApiServer.Registry.Reviews;

/// <summary>
/// authorization.k8s.io/v1 SelfSubjectAccessReview (may I? `kubectl auth can-i`), SubjectAccessReview
/// (may this user?, for whoever may create them) and LocalSubjectAccessReview (the same, in the URL's
/// namespace): the question's resource or non-resource attributes judged by the server's own authorizer.
/// </summary>
public sealed class AccessReviewStrategy : ReviewStrategy
{
    private readonly Mode _mode;

    private AccessReviewStrategy(Mode mode, string kind, string resource, bool namespaced) : base(Define("authorization.k8s.io", kind, resource, namespaced)) => _mode = mode;

    private enum Mode { Self, Subject, Local }

    public static AccessReviewStrategy Self() => new(Mode.Self, "SelfSubjectAccessReview", "selfsubjectaccessreviews", false);

    public static AccessReviewStrategy Subject() => new(Mode.Subject, "SubjectAccessReview", "subjectaccessreviews", false);

    public static AccessReviewStrategy Local() => new(Mode.Local, "LocalSubjectAccessReview", "localsubjectaccessreviews", true);

    public override Task<JsonObject> ReviewAsync(HttpContext context, string? ns, JsonObject body)
    {
        var spec = body["spec"] as JsonObject ?? [];
        var user = _mode == Mode.Self ? RequestUser.Get(context) : SpecUser(spec);
        RequestAttributes attributes;
        if (spec["resourceAttributes"] is JsonObject r)
        {
            var attributesNs = ObjectMeta.Str(r["namespace"]) ?? "";
            if (_mode == Mode.Local && attributesNs != ns)
                throw ApiException.Invalid(Resource.Kind, "", Resource.Group, [Causes.Invalid("spec.resourceAttributes.namespace", attributesNs, "must match metadata.namespace")]);
            attributes = new RequestAttributes(user, ObjectMeta.Str(r["verb"]) ?? "", true, "", ObjectMeta.Str(r["group"]) ?? "", ObjectMeta.Str(r["version"]) ?? "",
                ObjectMeta.Str(r["resource"]) ?? "", ObjectMeta.Str(r["subresource"]) ?? "", attributesNs, ObjectMeta.Str(r["name"]) ?? "");
        }
        else if (spec["nonResourceAttributes"] is JsonObject n && _mode != Mode.Local)
            attributes = RequestAttributes.ForPath(user, ObjectMeta.Str(n["verb"]) ?? "", ObjectMeta.Str(n["path"]) ?? "");
        else
            throw ApiException.Invalid(Resource.Kind, "", Resource.Group,
                [Causes.Required("spec.resourceAttributes", "Required value: exactly one of nonResourceAttributes or resourceAttributes must be specified")]);

        var authorizer = context.RequestServices.GetRequiredService<Authorizer>();
        var status = new JsonObject { ["allowed"] = authorizer.Allows(attributes) };
        if ((bool)status["allowed"]!)
            status["reason"] = user.IsMaster ? "" : "RBAC: allowed";
        return Task.FromResult(Answer(body, status));
    }

    /// <summary>The user a SubjectAccessReview asks about: spec.user, spec.groups, spec.uid and spec.extra.</summary>
    private UserInfo SpecUser(JsonObject spec)
    {
        var name = ObjectMeta.Str(spec["user"]) ?? "";
        var groups = spec["groups"] is JsonArray g ? g.Select(ObjectMeta.Str).OfType<string>().ToList() : [];
        if (name.Length == 0 && groups.Count == 0)
            throw ApiException.Invalid(Resource.Kind, "", Resource.Group, [Causes.Invalid("spec.user", "", "at least one of user or group must be specified")]);
        var extra = (spec["extra"] as JsonObject ?? []).ToDictionary(e => e.Key,
            e => (IReadOnlyList<string>)(e.Value is JsonArray values ? values.Select(ObjectMeta.Str).OfType<string>().ToList() : []));
        return new UserInfo(name, groups, ObjectMeta.Str(spec["uid"]), extra.Count > 0 ? extra : null);
    }
}
