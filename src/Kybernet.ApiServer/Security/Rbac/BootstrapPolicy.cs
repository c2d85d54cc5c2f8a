using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Security.Rbac;

/// <summary>
/// Upstream's default cluster roles and bindings that Kybernet's clients need (the facts of
/// plugin/pkg/auth/authorizer/rbac/bootstrappolicy, trimmed to the resources this server serves and
/// will serve): cluster-admin for system:masters, the user-facing admin/edit/view (aggregated from the
/// system:aggregate-to-* roles by label, as upstream), discovery and self-review for every
/// authenticated user, and the roles of the node agent, kube-proxy, the controller manager and the DNS.
/// Every object carries the autoupdate annotation and the rbac-defaults label.
/// </summary>
public static class BootstrapPolicy
{
    public const string AutoUpdateAnnotation = "rbac.authorization.kubernetes.io/autoupdate";
    public const string BootstrappingLabel = "kubernetes.io/bootstrapping";
    public const string AggregateToAdmin = "rbac.authorization.k8s.io/aggregate-to-admin";
    public const string AggregateToEdit = "rbac.authorization.k8s.io/aggregate-to-edit";
    public const string AggregateToView = "rbac.authorization.k8s.io/aggregate-to-view";

    private static readonly string[] Read = ["get", "list", "watch"];
    private static readonly string[] Write = ["create", "delete", "deletecollection", "patch", "update"];

    public static IReadOnlyList<JsonObject> ClusterRoles() =>
    [
        Role("cluster-admin", [Resources(["*"], ["*"], ["*"]), Urls(["*"], ["*"])]),
        Role("system:discovery", [Urls(["get"], ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"])]),
        Role("system:public-info-viewer", [Urls(["get"], ["/healthz", "/livez", "/readyz", "/version", "/version/"])]),
        Role("system:basic-user",
        [
            Resources(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
            Resources(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]),
        ]),
        Role("system:service-account-issuer-discovery",
            [Urls(["get"], ["/.well-known/openid-configuration", "/.well-known/openid-configuration/", "/openid/v1/jwks", "/openid/v1/jwks/"])]),
        Aggregated("admin", AggregateToAdmin),
        Aggregated("edit", AggregateToEdit, (AggregateToAdmin, "true")),
        Aggregated("view", AggregateToView, (AggregateToEdit, "true")),
        Role("system:aggregate-to-admin",
        [
            Resources(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
            Resources([.. Read, .. Write], ["rbac.authorization.k8s.io"], ["rolebindings", "roles"]),
        ], (AggregateToAdmin, "true")),
        Role("system:aggregate-to-edit",
        [
            Resources(["create", "delete", "deletecollection", "patch", "update"], [""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"]),
            Resources(["create"], [""], ["pods/eviction"]),
            Resources(["create", "delete", "deletecollection", "patch", "update"], [""],
                ["configmaps", "endpoints", "events", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"]),
            Resources(["create"], [""], ["serviceaccounts/token"]),
            Resources(["impersonate"], [""], ["serviceaccounts"]),
            Resources(Read, [""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"]),
            Resources(Write, ["apps"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"]),
            Resources(Write, ["autoscaling"], ["horizontalpodautoscalers"]),
            Resources(Write, ["batch"], ["cronjobs", "jobs"]),
            Resources(Write, ["networking.k8s.io"], ["ingresses", "networkpolicies"]),
            Resources(Write, ["policy"], ["poddisruptionbudgets"]),
            Resources(Write, ["discovery.k8s.io"], ["endpointslices"]),
            Resources(Write, ["coordination.k8s.io"], ["leases"]),
        ], (AggregateToAdmin, "true"), (AggregateToEdit, "true")),
        Role("system:aggregate-to-view",
        [
            Resources(Read, [""],
            [
                "bindings", "configmaps", "endpoints", "events", "limitranges", "namespaces", "namespaces/status", "persistentvolumeclaims",
                "persistentvolumeclaims/status", "pods", "pods/log", "pods/status", "replicationcontrollers", "replicationcontrollers/scale",
                "replicationcontrollers/status", "resourcequotas", "resourcequotas/status", "serviceaccounts", "services", "services/status",
            ]),
            Resources(Read, ["apps"],
            [
                "controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "replicasets",
                "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status",
            ]),
            Resources(Read, ["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
            Resources(Read, ["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
            Resources(Read, ["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"]),
            Resources(Read, ["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
            Resources(Read, ["discovery.k8s.io"], ["endpointslices"]),
            Resources(Read, ["events.k8s.io"], ["events"]),
        ], (AggregateToAdmin, "true"), (AggregateToEdit, "true"), (AggregateToView, "true")),
        Role("system:node",
        [
            Resources(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
            Resources(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews", "subjectaccessreviews"]),
            // Secrets are read by the kubelet (secret volumes, secretKeyRef, envFrom). Upstream's Node authorizer narrows
            // that to the secrets of the node's own pods; until Kybernet has one, a node credential reads every secret (a
            // known gap, written down in docs/architecture.md). No tokens for service accounts: a node would become anyone.
            Resources(Read, [""], ["services", "endpoints", "configmaps", "secrets", "persistentvolumeclaims", "persistentvolumes"]),
            Resources(["create", "get", "list", "watch", "patch", "update", "delete"], [""], ["nodes"]),
            Resources(["patch", "update"], [""], ["nodes/status"]),
            Resources(["create", "patch", "update"], ["", "events.k8s.io"], ["events"]),
            Resources(["get", "list", "watch", "create", "delete"], [""], ["pods"]),
            Resources(["patch", "update"], [""], ["pods/status"]),
            Resources(["create"], [""], ["pods/eviction"]),
            Resources(Read, ["discovery.k8s.io"], ["endpointslices"]),
            Resources(["create", "delete", "get", "patch", "update", "list", "watch"], ["coordination.k8s.io"], ["leases"]),
        ]),
        Role("system:node-proxier",
        [
            Resources(["list", "watch"], [""], ["endpoints", "services"]),
            Resources(Read, [""], ["nodes"]),
            Resources(["create", "patch", "update"], ["", "events.k8s.io"], ["events"]),
            Resources(["list", "watch"], ["discovery.k8s.io"], ["endpointslices"]),
        ]),
        Role("system:kube-dns",
        [
            Resources(["list", "watch"], [""], ["endpoints", "services"]),
            Resources(["list", "watch"], ["discovery.k8s.io"], ["endpointslices"]),
        ]),
        // Kybernet's controllers and its scheduler run in one process under this identity (upstream gives each
        // controller a service account, and the scheduler a user of its own): the garbage collector and the
        // namespace controller reach every resource; the workload controllers make pods and their own objects.
        Role("system:kube-controller-manager",
        [
            Resources([.. Read, "delete", "deletecollection", "patch", "update"], ["*"], ["*"]),
            Resources(["create"], ["", "events.k8s.io"], ["events"]),
            Resources(["create"], [""], ["serviceaccounts", "serviceaccounts/token", "endpoints", "secrets", "configmaps", "pods", "pods/binding", "pods/eviction"]),
            Resources(["create"], ["apps"], ["replicasets", "controllerrevisions"]),
            Resources(["create"], ["batch"], ["jobs"]),
            Resources(["create"], ["discovery.k8s.io"], ["endpointslices"]),
            Resources(["create"], ["coordination.k8s.io"], ["leases"]),
            Resources(["create"], ["authentication.k8s.io"], ["tokenreviews"]),
            Resources(["create"], ["authorization.k8s.io"], ["subjectaccessreviews"]),
        ]),
    ];

    public static IReadOnlyList<JsonObject> ClusterRoleBindings() =>
    [
        Binding("cluster-admin", "cluster-admin", Group("system:masters")),
        Binding("system:discovery", "system:discovery", Group(UserInfo.Authenticated)),
        Binding("system:basic-user", "system:basic-user", Group(UserInfo.Authenticated)),
        Binding("system:public-info-viewer", "system:public-info-viewer", Group(UserInfo.Authenticated), Group(UserInfo.Unauthenticated)),
        Binding("system:service-account-issuer-discovery", "system:service-account-issuer-discovery", Group(UserInfo.ServiceAccounts)),
        Binding("system:node", "system:node", Group(UserInfo.Nodes)),
        Binding("system:node-proxier", "system:node-proxier", User("system:kube-proxy")),
        Binding("system:kube-controller-manager", "system:kube-controller-manager", User(UserInfo.ControllerManagerName)),
        Binding("system:kube-dns", "system:kube-dns", ServiceAccount("kube-system", "kube-dns")),
    ];

    private static JsonObject Role(string name, JsonObject[] rules, params (string Key, string Value)[] labels)
    {
        var role = Object("ClusterRole", name, labels);
        role["rules"] = new JsonArray(rules);
        return role;
    }

    private static JsonObject Aggregated(string name, string selectLabel, params (string Key, string Value)[] labels)
    {
        var role = Object("ClusterRole", name, labels);
        role["aggregationRule"] = new JsonObject
        {
            ["clusterRoleSelectors"] = new JsonArray(new JsonObject { ["matchLabels"] = new JsonObject { [selectLabel] = "true" } }),
        };
        role["rules"] = new JsonArray();
        return role;
    }

    private static JsonObject Binding(string name, string role, params JsonObject[] subjects)
    {
        var binding = Object("ClusterRoleBinding", name, []);
        binding["roleRef"] = new JsonObject { ["apiGroup"] = RbacResources.Group, ["kind"] = "ClusterRole", ["name"] = role };
        binding["subjects"] = new JsonArray(subjects);
        return binding;
    }

    private static JsonObject Object(string kind, string name, (string Key, string Value)[] labels)
    {
        var labelObject = new JsonObject { [BootstrappingLabel] = "rbac-defaults" };
        foreach (var (key, value) in labels)
            labelObject[key] = value;
        return new JsonObject
        {
            ["apiVersion"] = $"{RbacResources.Group}/v1",
            ["kind"] = kind,
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["labels"] = labelObject,
                ["annotations"] = new JsonObject { [AutoUpdateAnnotation] = "true" },
            },
        };
    }

    private static JsonObject Resources(string[] verbs, string[] groups, string[] resources) =>
        new PolicyRule(verbs, groups, resources, [], []).ToJson();

    private static JsonObject Urls(string[] verbs, string[] urls) => new PolicyRule(verbs, [], [], [], urls).ToJson();

    private static JsonObject Group(string name) => new() { ["apiGroup"] = RbacResources.Group, ["kind"] = "Group", ["name"] = name };

    private static JsonObject User(string name) => new() { ["apiGroup"] = RbacResources.Group, ["kind"] = "User", ["name"] = name };

    private static JsonObject ServiceAccount(string ns, string name) => new() { ["kind"] = "ServiceAccount", ["name"] = name, ["namespace"] = ns };
}
