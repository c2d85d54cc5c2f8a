using System.Text.Json.Nodes;
using Kybernet.ApiServer.Security;
using Kybernet.ApiServer.Security.Authorization;
using Kybernet.ApiServer.Security.Rbac;

namespace Kybernet.ApiServer.Tests.Security.Rbac;

public sealed class RbacPolicyTests
{
    private static JsonObject Parse(string json) => (JsonObject)JsonNode.Parse(json)!;

    private static readonly JsonObject PodReader = Parse("""{"metadata":{"name":"pod-reader","namespace":"team"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get","list"]}]}""");
    private static readonly JsonObject ReaderBinding = Parse("""{"metadata":{"name":"b","namespace":"team"},"roleRef":{"kind":"Role","name":"pod-reader"},"subjects":[{"kind":"ServiceAccount","name":"bot","namespace":"team"}]}""");

    private static readonly UserInfo Bot = new("system:serviceaccount:team:bot", UserInfo.ServiceAccountGroups("team"));

    [Fact]
    public void A_role_binding_grants_its_role_in_its_namespace_only()
    {
        var policy = new RbacPolicy([], [PodReader], [], [ReaderBinding]);
        Assert.True(policy.Allows(RequestAttributes.ForResource(Bot, "list", "", "pods", ns: "team")));
        Assert.False(policy.Allows(RequestAttributes.ForResource(Bot, "list", "", "pods", ns: "default")));
        Assert.False(policy.Allows(RequestAttributes.ForResource(Bot, "list", "", "pods")));
        Assert.False(policy.Allows(RequestAttributes.ForResource(new UserInfo("system:serviceaccount:team:other", []), "list", "", "pods", ns: "team")));
    }

    [Fact]
    public void Cluster_role_bindings_grant_everywhere_and_match_groups()
    {
        var viewer = Parse("""{"metadata":{"name":"viewer"},"rules":[{"apiGroups":["*"],"resources":["*"],"verbs":["get"]}]}""");
        var binding = Parse("""{"metadata":{"name":"v"},"roleRef":{"kind":"ClusterRole","name":"viewer"},"subjects":[{"kind":"Group","name":"system:serviceaccounts:team"}]}""");
        var policy = new RbacPolicy([viewer], [], [binding], []);
        Assert.True(policy.Allows(RequestAttributes.ForResource(Bot, "get", "apps", "deployments", ns: "elsewhere", name: "d")));
        Assert.True(policy.Allows(RequestAttributes.ForResource(Bot, "get", "", "nodes", name: "n")));
        Assert.False(policy.Allows(RequestAttributes.ForResource(Bot, "list", "", "nodes")));
    }

    [Fact]
    public void A_binding_to_a_missing_role_grants_nothing()
    {
        var policy = new RbacPolicy([], [], [], [ReaderBinding]);
        Assert.False(policy.Allows(RequestAttributes.ForResource(Bot, "list", "", "pods", ns: "team")));
    }

    [Fact]
    public void An_aggregated_cluster_role_has_the_rules_of_the_roles_its_selectors_match()
    {
        var part = Parse("""{"metadata":{"name":"part","labels":{"agg":"yes"}},"rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}]}""");
        var other = Parse("""{"metadata":{"name":"other"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]}""");
        var whole = Parse("""{"metadata":{"name":"whole"},"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"agg":"yes"}}]},"rules":[]}""");
        var policy = new RbacPolicy([part, other, whole], [], [], []);
        var rules = policy.ClusterRoleRules("whole");
        Assert.Single(rules);
        Assert.Equal(["secrets"], rules[0].Resources);
    }

    [Fact]
    public void The_bootstrap_policy_gives_the_admin_everything_nodes_their_needs_and_everyone_discovery()
    {
        var policy = new RbacPolicy(BootstrapPolicy.ClusterRoles(), [], BootstrapPolicy.ClusterRoleBindings(), []);
        var node = UserInfo.Node("n1");
        Assert.True(policy.Allows(RequestAttributes.ForResource(node, "patch", "", "nodes", "status", name: "n1")));
        Assert.True(policy.Allows(RequestAttributes.ForResource(node, "watch", "", "nodes")));
        Assert.True(policy.Allows(RequestAttributes.ForResource(node, "create", "coordination.k8s.io", "leases", ns: "kube-node-lease")));
        Assert.False(policy.Allows(RequestAttributes.ForResource(node, "delete", "", "namespaces", name: "default")));
        Assert.True(policy.Allows(RequestAttributes.ForResource(UserInfo.ControllerManager, "deletecollection", "apps", "deployments", ns: "x")));
        Assert.True(policy.Allows(RequestAttributes.ForResource(UserInfo.ControllerManager, "create", "", "serviceaccounts", ns: "x")));
        Assert.True(policy.Allows(RequestAttributes.ForPath(Bot, "get", "/apis/apps/v1")));
        Assert.True(policy.Allows(RequestAttributes.ForResource(Bot, "create", "authorization.k8s.io", "selfsubjectaccessreviews")));
        Assert.False(policy.Allows(RequestAttributes.ForResource(Bot, "list", "", "pods", ns: "team")));
        var dns = new UserInfo("system:serviceaccount:kube-system:kube-dns", UserInfo.ServiceAccountGroups("kube-system"));
        Assert.True(policy.Allows(RequestAttributes.ForResource(dns, "watch", "discovery.k8s.io", "endpointslices")));
        Assert.NotEmpty(policy.ClusterRoleRules("view"));
        Assert.Contains(policy.ClusterRoleRules("admin"), r => r.Resources.Contains("rolebindings"));
    }
}
