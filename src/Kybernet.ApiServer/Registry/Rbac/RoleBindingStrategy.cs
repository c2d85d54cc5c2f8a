using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Security;
using Kybernet.ApiServer.Security.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Kybernet.ApiServer.Security.Rbac;

namespace Kybernet.ApiServer.Registry.Rbac;

/// <summary>
/// RoleBindings and ClusterRoleBindings (upstream's rolebinding and clusterrolebinding strategies):
/// roleRef names a Role (RoleBindings only) or a ClusterRole of rbac.authorization.k8s.io and can never
/// change; subjects are Users and Groups (of rbac.authorization.k8s.io, the default) or ServiceAccounts
/// (of the core group, with a namespace in a ClusterRoleBinding).
/// </summary>
public sealed class RoleBindingStrategy(ResourceDefinition resource) : ResourceStrategy(resource)
{
    public static RoleBindingStrategy RoleBindings() => new(RbacResources.RoleBindings);

    public static RoleBindingStrategy ClusterRoleBindings() => new(RbacResources.ClusterRoleBindings);

    protected override IReadOnlyList<string> ValidateName(string name) => RbacNames.ValidatePathSegment(name);

    /// <summary>A binding may give only what its writer holds, unless the writer may "bind" the role it names.</summary>
    public override void AdmitWrite(HttpContext context, string? ns, JsonObject obj)
    {
        var name = ObjectMeta.Name(obj) ?? "";
        var scope = Resource.Namespaced ? ns ?? "" : "";
        var roleKind = ObjectMeta.Str(obj["roleRef"]?["kind"]) ?? "";
        var roleName = ObjectMeta.Str(obj["roleRef"]?["name"]) ?? "";
        var policy = context.RequestServices.GetRequiredService<RbacCache>().Policy;
        // A role that does not exist (yet) grants whatever it will hold once made: only "bind" (or full authority) may name it.
        var granted = policy.RulesOfExisting(roleKind, scope, roleName) ?? PolicyRule.FullAuthority;
        var roles = roleKind == "Role" ? RbacResources.Roles : RbacResources.ClusterRoles;
        EscalationCheck.Require(context, scope, granted,
            RequestAttributes.ForResource(UserInfo.Admin, "bind", RbacResources.Group, roles.Resource, ns: roleKind == "Role" ? scope : "", name: roleName),
            Resource.QualifiedResource, name);
    }

    /// <summary>Upstream's SetDefaults_Subject: Users and Groups are of the RBAC group, ServiceAccounts of the core one.</summary>
    public override void Default(JsonObject obj)
    {
        if (obj["subjects"] is not JsonArray subjects)
            return;
        foreach (var subject in subjects.OfType<JsonObject>())
            if (ObjectMeta.Str(subject["apiGroup"]) is null or "")
                subject["apiGroup"] = ObjectMeta.Str(subject["kind"]) is "User" or "Group" ? RbacResources.Group : "";
    }

    protected override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        var roleRef = obj["roleRef"] as JsonObject;
        var apiGroup = ObjectMeta.Str(roleRef?["apiGroup"]) ?? "";
        if (apiGroup != RbacResources.Group)
            causes.Add(Causes.NotSupported("roleRef.apiGroup", apiGroup, [RbacResources.Group]));
        var kind = ObjectMeta.Str(roleRef?["kind"]) ?? "";
        string[] kinds = Resource.Namespaced ? ["ClusterRole", "Role"] : ["ClusterRole"];
        if (!kinds.Contains(kind))
            causes.Add(Causes.NotSupported("roleRef.kind", kind, kinds));
        var name = ObjectMeta.Str(roleRef?["name"]) ?? "";
        if (name.Length == 0)
            causes.Add(Causes.Required("roleRef.name"));
        else
            foreach (var problem in RbacNames.ValidatePathSegment(name))
                causes.Add(Causes.Invalid("roleRef.name", name, problem));

        if (obj["subjects"] is not JsonArray subjects)
            return;
        for (int i = 0; i < subjects.Count; i++)
            ValidateSubject(subjects[i] as JsonObject, $"subjects[{i}]", causes);
    }

    private void ValidateSubject(JsonObject? subject, string path, List<StatusCause> causes)
    {
        var name = ObjectMeta.Str(subject?["name"]) ?? "";
        var kind = ObjectMeta.Str(subject?["kind"]) ?? "";
        var apiGroup = ObjectMeta.Str(subject?["apiGroup"]) ?? "";
        if (name.Length == 0)
            causes.Add(Causes.Required($"{path}.name"));
        switch (kind)
        {
            case "ServiceAccount":
                if (apiGroup.Length > 0)
                    causes.Add(Causes.NotSupported($"{path}.apiGroup", apiGroup, [""]));
                if (name.Length > 0)
                    foreach (var problem in Kybernet.Api.Names.NameValidation.IsDns1123Subdomain(name))
                        causes.Add(Causes.Invalid($"{path}.name", name, problem));
                if (!Resource.Namespaced && ObjectMeta.Str(subject?["namespace"]) is null or "")
                    causes.Add(Causes.Required($"{path}.namespace"));
                break;
            case "User" or "Group":
                if (apiGroup != RbacResources.Group)
                    causes.Add(Causes.NotSupported($"{path}.apiGroup", apiGroup, [RbacResources.Group]));
                break;
            default:
                causes.Add(Causes.NotSupported($"{path}.kind", kind, ["ServiceAccount", "User", "Group"]));
                break;
        }
    }

    protected override void ValidateChange(JsonObject next, JsonObject current, List<StatusCause> causes)
    {
        if (!JsonNode.DeepEquals(next["roleRef"], current["roleRef"]))
            causes.Add(Causes.Invalid("roleRef", next["roleRef"]?.ToJsonString() ?? "", "cannot change roleRef"));
    }
}
