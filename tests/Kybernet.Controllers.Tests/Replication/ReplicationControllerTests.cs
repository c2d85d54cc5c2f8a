using k8s;
using k8s.Models;

namespace Kybernet.Controllers.Tests.Replication;

/// <summary>ReplicationControllers driven with the real kubectl, against a real API server.</summary>
public sealed class ReplicationControllerTests : IAsyncLifetime
{
    private ReplicationCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ReplicationCluster.StartAsync(garbageCollector: true);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private IKubernetes Client => _cluster.Client;

    [Fact]
    public async Task An_rc_of_3_makes_3_pods_it_controls_and_replaces_a_deleted_one()
    {
        _cluster.Kubectl.OkWith(ReplicationCluster.ReplicationController("web", 3), "create", "-f", "-");
        var rc = await Client.CoreV1.ReadNamespacedReplicationControllerAsync("web", ReplicationCluster.Ns);

        var pods = await _cluster.WaitForPodsAsync("app=web", 3);
        foreach (var pod in pods)
        {
            var owner = Assert.Single(pod.Metadata.OwnerReferences);
            Assert.Equal(("v1", "ReplicationController", "web", rc.Uid(), true, true), (owner.ApiVersion, owner.Kind, owner.Name, owner.Uid, owner.Controller, owner.BlockOwnerDeletion));
            Assert.StartsWith("web-", pod.Name());
        }

        _cluster.Kubectl.Ok("delete", "pod", pods[0].Name());
        var again = await _cluster.WaitForPodsAsync("app=web", 3, now => now.All(p => p.Name() != pods[0].Name()));
        Assert.Equal(2, again.Count(p => pods.Any(old => old.Name() == p.Name())));

        await TestApiServer.Eventually(async () =>
        {
            var status = (await Client.CoreV1.ReadNamespacedReplicationControllerAsync("web", ReplicationCluster.Ns)).Status;
            return status?.Replicas == 3 && status.FullyLabeledReplicas == 3 && status.ObservedGeneration == 1;
        }, "the status counts 3 replicas");
        var described = _cluster.Kubectl.Ok("describe", "rc", "web");
        Assert.Matches(@"Replicas:\s+3 current / 3 desired", described);
        var events = _cluster.Kubectl.Ok("get", "events", "--field-selector", "involvedObject.name=web", "-o", "custom-columns=REASON:.reason,MESSAGE:.message,SOURCE:.source.component");
        Assert.Contains("SuccessfulCreate", events);
        Assert.Contains("replication-controller", events);
    }

    [Fact]
    public async Task Kubectl_scale_up_then_down_deletes_the_unready_pods_first_then_the_most_recently_ready()
    {
        _cluster.Kubectl.OkWith(ReplicationCluster.ReplicationController("web", 3), "create", "-f", "-");
        await _cluster.WaitForPodsAsync("app=web", 3);

        _cluster.Kubectl.Ok("scale", "rc", "web", "--replicas=5");
        var pods = await _cluster.WaitForPodsAsync("app=web", 5);

        // Two pods ready, one for an hour and one for a minute; the other three are not ready.
        var readyLong = pods[1];
        var readyRecently = pods[3];
        await _cluster.SetReadyAsync(readyLong, true, DateTime.UtcNow.AddHours(-1));
        await _cluster.SetReadyAsync(readyRecently, true, DateTime.UtcNow.AddMinutes(-1));
        await _cluster.SetReadyAsync(pods[0], false, DateTime.UtcNow);
        await TestApiServer.Eventually(async () => (await Client.CoreV1.ReadNamespacedReplicationControllerAsync("web", ReplicationCluster.Ns)).Status?.ReadyReplicas == 2,
            "the status counts the two ready pods");

        _cluster.Kubectl.Ok("scale", "rc", "web", "--replicas=2");
        var left = await _cluster.WaitForPodsAsync("app=web", 2);
        Assert.Equal(new[] { readyLong.Name(), readyRecently.Name() }.Order(), left.Select(p => p.Name()).Order());

        _cluster.Kubectl.Ok("scale", "rc", "web", "--replicas=1");
        var last = Assert.Single(await _cluster.WaitForPodsAsync("app=web", 1));
        Assert.Equal(readyLong.Name(), last.Name());
        Assert.Contains("SuccessfulDelete", _cluster.Kubectl.Ok("get", "events", "--field-selector", "involvedObject.name=web"));
    }

    [Fact]
    public async Task An_orphan_that_matches_is_adopted_and_a_pod_relabelled_out_is_released()
    {
        // An orphan with the labels, made before the RC: the RC adopts it and makes one pod more, not two.
        _cluster.Kubectl.Ok("run", "stray", "--image=busybox", "--labels=app=web", "--restart=Never", "--", "sleep", "3600");
        _cluster.Kubectl.OkWith(ReplicationCluster.ReplicationController("web", 2), "create", "-f", "-");
        var rc = await Client.CoreV1.ReadNamespacedReplicationControllerAsync("web", ReplicationCluster.Ns);
        var pods = await _cluster.WaitForPodsAsync("app=web", 2, now => now.All(p => p.Metadata.OwnerReferences?.SingleOrDefault()?.Uid == rc.Uid()));
        Assert.Contains(pods, p => p.Name() == "stray");
        Assert.Contains("adopted pod stray", _cluster.ReplicationControllers.Log);

        // Relabelled out of the selector: released (no owner left) and replaced.
        _cluster.Kubectl.Ok("label", "pod", "stray", "app=elsewhere", "--overwrite");
        await TestApiServer.Eventually(async () => (await Client.CoreV1.ReadNamespacedPodAsync("stray", ReplicationCluster.Ns)).Metadata.OwnerReferences is null or { Count: 0 },
            "the relabelled pod loses its owner reference");
        var now = await _cluster.WaitForPodsAsync("app=web", 2);
        Assert.DoesNotContain(now, p => p.Name() == "stray");
        Assert.Contains("released pod stray", _cluster.ReplicationControllers.Log);
    }

    [Fact]
    public async Task Delete_with_cascade_orphan_leaves_the_pods_without_owner_references()
    {
        _cluster.Kubectl.OkWith(ReplicationCluster.ReplicationController("web", 3), "create", "-f", "-");
        var pods = await _cluster.WaitForPodsAsync("app=web", 3);

        _cluster.Kubectl.Ok("delete", "rc", "web", "--cascade=orphan");

        await TestApiServer.Eventually(async () => (await Client.CoreV1.ListNamespacedReplicationControllerAsync(ReplicationCluster.Ns)).Items.Count == 0, "the RC is gone");
        var left = await _cluster.WaitForPodsAsync("app=web", 3, now => now.All(p => p.Metadata.OwnerReferences is null or { Count: 0 }));
        Assert.Equal(pods.Select(p => p.Name()).Order(), left.Select(p => p.Name()).Order());
    }

    [Fact]
    public async Task Terminating_and_finished_pods_are_replaced_at_once()
    {
        // A node object (and no kubelet): a pod bound to it is deleted gracefully, so it stays terminating.
        await _cluster.Server.CreateNodeAsync("lost-node");
        _cluster.Kubectl.OkWith(ReplicationCluster.ReplicationController("web", 2), "create", "-f", "-");
        var pods = await _cluster.WaitForPodsAsync("app=web", 2);
        var evicted = pods[0];
        await Client.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding
        {
            Metadata = new V1ObjectMeta { Name = evicted.Name() },
            Target = new V1ObjectReference { Kind = "Node", Name = "lost-node" },
        }, evicted.Name(), ReplicationCluster.Ns);
        await Client.CoreV1.DeleteNamespacedPodAsync(evicted.Name(), ReplicationCluster.Ns);
        Assert.NotNull((await Client.CoreV1.ReadNamespacedPodAsync(evicted.Name(), ReplicationCluster.Ns)).Metadata.DeletionTimestamp);

        var replaced = await _cluster.WaitForPodsAsync("app=web", 2, now => now.All(p => p.Name() != evicted.Name()));
        Assert.Equal(3, (await _cluster.PodsAsync("app=web")).Count); // the terminating one is still there

        // A pod that ran to its end (Failed) is not a replica either.
        var failed = replaced[0];
        await Client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(new { status = new { phase = "Failed" } }, V1Patch.PatchType.MergePatch), failed.Name(), ReplicationCluster.Ns);
        await TestApiServer.Eventually(async () =>
            (await _cluster.PodsAsync("app=web")).Count(p => p.Metadata.DeletionTimestamp is null && p.Status?.Phase != "Failed") == 2,
            "the failed pod is replaced");
    }
}
