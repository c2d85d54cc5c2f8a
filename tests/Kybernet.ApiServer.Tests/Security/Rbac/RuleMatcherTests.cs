using Kybernet.ApiServer.Security;
using Kybernet.ApiServer.Security.Authorization;
using Kybernet.ApiServer.Security.Rbac;

namespace Kybernet.ApiServer.Tests.Security.Rbac;

public sealed class RuleMatcherTests
{
    private static readonly UserInfo Someone = new("someone", [UserInfo.Authenticated]);

    private static PolicyRule Rule(string[] verbs, string[] groups, string[] resources, string[]? names = null) => new(verbs, groups, resources, names ?? [], []);

    private static RequestAttributes Ask(string verb, string group, string resource, string subresource = "", string name = "") =>
        RequestAttributes.ForResource(Someone, verb, group, resource, subresource, "default", name);

    [Fact]
    public void Verbs_groups_and_resources_match_exactly_or_by_wildcard()
    {
        var readPods = Rule(["get", "list"], [""], ["pods"]);
        Assert.True(RuleMatcher.Allows(readPods, Ask("list", "", "pods")));
        Assert.False(RuleMatcher.Allows(readPods, Ask("delete", "", "pods")));
        Assert.False(RuleMatcher.Allows(readPods, Ask("list", "apps", "pods")));
        Assert.False(RuleMatcher.Allows(readPods, Ask("list", "", "secrets")));
        var everything = Rule(["*"], ["*"], ["*"]);
        Assert.True(RuleMatcher.Allows(everything, Ask("deletecollection", "apps", "deployments")));
        Assert.True(RuleMatcher.Allows(everything, Ask("update", "apps", "deployments", "scale")));
    }

    [Fact]
    public void Subresources_need_their_own_entry_or_a_subresource_wildcard()
    {
        Assert.False(RuleMatcher.Allows(Rule(["get"], [""], ["pods"]), Ask("get", "", "pods", "log", "p")));
        Assert.True(RuleMatcher.Allows(Rule(["get"], [""], ["pods/log"]), Ask("get", "", "pods", "log", "p")));
        Assert.True(RuleMatcher.Allows(Rule(["get"], [""], ["*/log"]), Ask("get", "", "pods", "log", "p")));
        Assert.True(RuleMatcher.Allows(Rule(["get"], [""], ["pods/*"]), Ask("get", "", "pods", "status", "p")));
        Assert.False(RuleMatcher.Allows(Rule(["get"], [""], ["pods/*"]), Ask("get", "", "pods", "", "p")));
    }

    [Fact]
    public void Resource_names_restrict_to_named_objects_so_never_a_list_or_create()
    {
        var one = Rule(["get", "list", "create"], [""], ["configmaps"], ["settings"]);
        Assert.True(RuleMatcher.Allows(one, Ask("get", "", "configmaps", name: "settings")));
        Assert.False(RuleMatcher.Allows(one, Ask("get", "", "configmaps", name: "other")));
        Assert.False(RuleMatcher.Allows(one, Ask("list", "", "configmaps")));
        Assert.False(RuleMatcher.Allows(one, Ask("create", "", "configmaps")));
    }

    [Fact]
    public void A_rule_is_covered_only_when_every_permission_it_grants_is_held()
    {
        IReadOnlyList<PolicyRule> held = [Rule(["get", "list"], [""], ["pods", "pods/log"]), Rule(["get"], [""], ["configmaps"], ["settings"])];
        Assert.True(EscalationCheck.Covered(held, Someone, Rule(["get"], [""], ["pods", "pods/log"])));
        Assert.False(EscalationCheck.Covered(held, Someone, Rule(["get", "delete"], [""], ["pods"])));
        Assert.False(EscalationCheck.Covered(held, Someone, Rule(["*"], [""], ["pods"])));
        Assert.False(EscalationCheck.Covered(held, Someone, Rule(["get"], ["*"], ["pods"])));
        Assert.True(EscalationCheck.Covered(held, Someone, Rule(["get"], [""], ["configmaps"], ["settings"])));
        Assert.False(EscalationCheck.Covered(held, Someone, Rule(["get"], [""], ["configmaps"])));
        Assert.True(EscalationCheck.Covered([Rule(["*"], ["*"], ["*"])], Someone, Rule(["*"], ["apps"], ["deployments/scale"])));
    }

    [Fact]
    public void Non_resource_urls_match_exactly_or_by_a_trailing_star()
    {
        var rule = new PolicyRule(["get"], [], [], [], ["/healthz", "/apis/*"]);
        Assert.True(RuleMatcher.Allows(rule, RequestAttributes.ForPath(Someone, "get", "/healthz")));
        Assert.False(RuleMatcher.Allows(rule, RequestAttributes.ForPath(Someone, "get", "/healthz/etcd")));
        Assert.True(RuleMatcher.Allows(rule, RequestAttributes.ForPath(Someone, "get", "/apis/apps/v1")));
        Assert.False(RuleMatcher.Allows(rule, RequestAttributes.ForPath(Someone, "post", "/healthz")));
        Assert.False(RuleMatcher.Allows(rule, RequestAttributes.ForPath(Someone, "get", "/api")));
        // A resource rule never matches a path, nor a path rule a resource.
        Assert.False(RuleMatcher.Allows(Rule(["*"], ["*"], ["*"]), RequestAttributes.ForPath(Someone, "get", "/healthz")));
        Assert.False(RuleMatcher.Allows(new PolicyRule(["*"], [], [], [], ["*"]), Ask("get", "", "pods")));
    }
}
