using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Security.Rbac;

/// <summary>The four kinds of rbac.authorization.k8s.io/v1, as the catalog serves them.</summary>
public static class RbacResources
{
    public const string Group = "rbac.authorization.k8s.io";

    public static readonly ResourceDefinition Roles = ResourceDefinition.Grouped(Group, "Role", "roles", "role");
    public static readonly ResourceDefinition ClusterRoles = ResourceDefinition.Grouped(Group, "ClusterRole", "clusterroles", "clusterrole", namespaced: false);
    public static readonly ResourceDefinition RoleBindings = ResourceDefinition.Grouped(Group, "RoleBinding", "rolebindings", "rolebinding");
    public static readonly ResourceDefinition ClusterRoleBindings = ResourceDefinition.Grouped(Group, "ClusterRoleBinding", "clusterrolebindings", "clusterrolebinding", namespaced: false);
}
