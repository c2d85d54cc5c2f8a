namespace Kybernet.OfficialClient.Tests;

/// <summary>
/// Each of the four patch types the client sends (V1Patch.PatchType), on a Deployment, where they
/// differ: a JSON merge patch replaces the containers list, a strategic merge patch merges it by name,
/// a JSON patch edits by path, server-side apply merges what the manager applies (no managedFields yet: see ApplyPatch).
/// </summary>
public sealed class PatchTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Json_patch_edits_by_path_and_tests_its_preconditions()
    {
        using var client = OfficialClient.Admin(server);
        var ns = await OfficialClient.NewNamespaceAsync(client, "jsonpatch");
        await client.AppsV1.CreateNamespacedDeploymentAsync(Web(), ns);

        var ops = """[{"op":"test","path":"/spec/replicas","value":2},{"op":"replace","path":"/spec/replicas","value":5},{"op":"add","path":"/metadata/labels/tier","value":"front"}]""";
        var patched = await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(ops, V1Patch.PatchType.JsonPatch), "web", ns);
        Assert.Equal(5, patched.Spec.Replicas);
        Assert.Equal("front", patched.Metadata.Labels["tier"]);

        // A failed test operation changes nothing and is the client's error.
        var failing = """[{"op":"test","path":"/spec/replicas","value":2},{"op":"replace","path":"/spec/replicas","value":9}]""";
        var error = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(
            () => client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(failing, V1Patch.PatchType.JsonPatch), "web", ns));
        Assert.Equal(422, (int)error.Response.StatusCode);
        Assert.Equal(5, (await client.AppsV1.ReadNamespacedDeploymentAsync("web", ns)).Spec.Replicas);
    }

    [Fact]
    public async Task Merge_patch_replaces_lists_and_removes_keys_set_to_null()
    {
        using var client = OfficialClient.Admin(server);
        var ns = await OfficialClient.NewNamespaceAsync(client, "mergepatch");
        await client.AppsV1.CreateNamespacedDeploymentAsync(Web(), ns);

        var patch = new
        {
            metadata = new { labels = new Dictionary<string, string?> { ["app"] = "web", ["old"] = null } },
            spec = new { template = new { spec = new { containers = new[] { new { name = "cache", image = "redis:7" } } } } },
        };
        var patched = await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), "web", ns);

        Assert.Equal(["cache"], patched.Spec.Template.Spec.Containers.Select(c => c.Name));
        Assert.False(patched.Metadata.Labels.ContainsKey("old"));
    }

    [Fact]
    public async Task Strategic_merge_patch_merges_containers_by_name()
    {
        using var client = OfficialClient.Admin(server);
        var ns = await OfficialClient.NewNamespaceAsync(client, "smpatch");
        await client.AppsV1.CreateNamespacedDeploymentAsync(Web(), ns);

        var patch = new { spec = new { template = new { spec = new { containers = new[] { new { name = "web", image = "nginx:1.27" }, new { name = "cache", image = "redis:7" } } } } } };
        var patched = await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(patch, V1Patch.PatchType.StrategicMergePatch), "web", ns);

        var containers = patched.Spec.Template.Spec.Containers.ToDictionary(c => c.Name);
        Assert.Equal(["web", "cache"], patched.Spec.Template.Spec.Containers.Select(c => c.Name));
        Assert.Equal("nginx:1.27", containers["web"].Image);
        Assert.Equal(80, containers["web"].Ports.Single().ContainerPort); // kept: merged, not replaced
    }

    [Fact]
    public async Task Server_side_apply_creates_then_updates_what_the_manager_owns()
    {
        using var client = OfficialClient.Admin(server);
        var ns = await OfficialClient.NewNamespaceAsync(client, "apply");

        var first = Web();
        first.Metadata.Labels = null;
        var created = await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(Yaml(first), V1Patch.PatchType.ApplyPatch), "web", ns, fieldManager: "tests");
        Assert.Equal(2, created.Spec.Replicas);

        var second = Web();
        second.Spec.Replicas = 4;
        var updated = await client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch(Yaml(second), V1Patch.PatchType.ApplyPatch), "web", ns, fieldManager: "tests");
        Assert.Equal(4, updated.Spec.Replicas);
        Assert.Equal("web", updated.Metadata.Labels["app"]);
        Assert.Equal(created.Metadata.Uid, updated.Metadata.Uid);
    }

    private static V1Deployment Web() => new()
    {
        ApiVersion = "apps/v1",
        Kind = "Deployment",
        Metadata = new V1ObjectMeta { Name = "web", Labels = new Dictionary<string, string> { ["app"] = "web", ["old"] = "yes" } },
        Spec = new V1DeploymentSpec
        {
            Replicas = 2,
            Selector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "web" } },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = new Dictionary<string, string> { ["app"] = "web" } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "web", Image = "nginx:1.25", Ports = [new V1ContainerPort { ContainerPort = 80 }] }] },
            },
        },
    };

    /// <summary>An apply body: YAML is a superset of JSON, and the client sends the string as it is.</summary>
    private static string Yaml(V1Deployment d) => KubernetesJson.Serialize(d);
}
