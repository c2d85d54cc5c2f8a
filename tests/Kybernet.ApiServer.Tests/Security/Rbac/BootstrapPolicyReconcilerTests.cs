using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Registry;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Security.Rbac;
using Kybernet.ApiServer.Storage;
using Kybernet.ApiServer.Tests.Registry;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.ApiServer.Tests.Security.Rbac;

/// <summary>The default roles and bindings over a real store: made, made again, restored, or left alone when their owner said so.</summary>
public sealed class BootstrapPolicyReconcilerTests : IAsyncLifetime
{
    private readonly TempStore _store = new();
    private ObjectStore _objects = null!;
    private BootstrapPolicyReconciler _reconciler = null!;

    public async Task InitializeAsync()
    {
        await _store.InitializeAsync();
        _objects = new ObjectStore(_store.Store);
        var catalog = ResourceCatalog.Kubernetes(new ServiceAllocator(_store.Store));
        _reconciler = new BootstrapPolicyReconciler(_objects, new ResourceRegistry(_objects, catalog), catalog, NullLogger<BootstrapPolicyReconciler>.Instance);
    }

    public Task DisposeAsync() => _store.DisposeAsync();

    private Task<JsonObject?> Role(string name) => _objects.GetAsync(RbacResources.ClusterRoles, null, name);

    private Task<JsonObject?> Binding(string name) => _objects.GetAsync(RbacResources.ClusterRoleBindings, null, name);

    [Fact]
    public async Task Every_default_is_made_labelled_and_annotated_and_aggregated_roles_get_their_rules()
    {
        await _reconciler.ReconcileAsync(default);
        foreach (var wanted in BootstrapPolicy.ClusterRoles())
        {
            var role = await Role(ObjectMeta.Name(wanted)!);
            Assert.NotNull(role);
            Assert.Equal("rbac-defaults", (string)role["metadata"]!["labels"]![BootstrapPolicy.BootstrappingLabel]!);
            Assert.Equal("true", (string)role["metadata"]!["annotations"]![BootstrapPolicy.AutoUpdateAnnotation]!);
        }
        foreach (var wanted in BootstrapPolicy.ClusterRoleBindings())
            Assert.NotNull(await Binding(ObjectMeta.Name(wanted)!));
        var admin = PolicyRule.ListFrom((await Role("admin"))!["rules"]);
        Assert.Contains(admin, r => r.Resources.Contains("rolebindings"));
        Assert.Contains(admin, r => r.Resources.Contains("pods/log"));
        Assert.DoesNotContain(PolicyRule.ListFrom((await Role("view"))!["rules"]), r => r.Resources.Contains("secrets"));
    }

    [Fact]
    public async Task A_deleted_default_is_made_again_and_lost_rules_and_subjects_come_back()
    {
        await _reconciler.ReconcileAsync(default);
        var node = (await Role("system:node"))!;
        await _objects.DeleteAsync(RbacResources.ClusterRoles, null, "system:node", ObjectMeta.Revision(node));

        var discovery = (await Role("system:discovery"))!;
        var stripped = (JsonObject)discovery.DeepClone();
        stripped["rules"] = new JsonArray(new JsonObject { ["verbs"] = new JsonArray("get"), ["nonResourceURLs"] = new JsonArray("/custom") });
        await _objects.UpdateAsync(RbacResources.ClusterRoles, null, "system:discovery", stripped, ObjectMeta.Revision(discovery));

        var masters = (await Binding("cluster-admin"))!;
        var emptied = (JsonObject)masters.DeepClone();
        emptied["subjects"] = new JsonArray(new JsonObject { ["kind"] = "User", ["name"] = "alice", ["apiGroup"] = RbacResources.Group });
        await _objects.UpdateAsync(RbacResources.ClusterRoleBindings, null, "cluster-admin", emptied, ObjectMeta.Revision(masters));

        await _reconciler.ReconcileAsync(default);

        Assert.NotNull(await Role("system:node"));
        var rules = PolicyRule.ListFrom((await Role("system:discovery"))!["rules"]);
        Assert.Contains(rules, r => r.NonResourceUrls.Contains("/custom")); // what the user added stays
        Assert.Contains(rules, r => r.NonResourceUrls.Contains("/apis/*"));
        var subjects = Subject.ListFrom((await Binding("cluster-admin"))!["subjects"], "");
        Assert.Contains(subjects, s => s.Name == "alice");
        Assert.Contains(subjects, s => s is { Kind: "Group", Name: "system:masters" });
    }

    [Fact]
    public async Task A_default_whose_autoupdate_is_false_is_left_as_its_owner_made_it()
    {
        await _reconciler.ReconcileAsync(default);
        var view = (await Role("system:kube-dns"))!;
        var owned = (JsonObject)view.DeepClone();
        owned["metadata"]!["annotations"]![BootstrapPolicy.AutoUpdateAnnotation] = "false";
        owned["rules"] = new JsonArray();
        await _objects.UpdateAsync(RbacResources.ClusterRoles, null, "system:kube-dns", owned, ObjectMeta.Revision(view));

        await _reconciler.ReconcileAsync(default);
        Assert.Empty((await Role("system:kube-dns"))!["rules"]!.AsArray());
    }
}
