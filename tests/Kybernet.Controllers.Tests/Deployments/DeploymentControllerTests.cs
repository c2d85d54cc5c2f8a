using k8s;
using k8s.Models;
using Kybernet.Controllers.Deployments;

namespace Kybernet.Controllers.Tests.Deployments;

/// <summary>
/// The deployment controller against a real API server and the real kubectl, with <see cref="FakeReplicaSets"/>
/// playing the ReplicaSet controller (each ReplicaSet's status follows its spec at once), so every step of a rollout
/// is the deployment controller's own.
/// </summary>
public sealed class DeploymentControllerTests : IAsyncLifetime
{
    private TestApiServer _server = null!;
    private RunningController _controller = null!;
    private FakeReplicaSets _replicaSets = null!;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _controller = new RunningController(_server, (informers, log) => new DeploymentController(informers, log: log));
        _replicaSets = new FakeReplicaSets(_server.Client);
    }

    public async Task DisposeAsync()
    {
        await _replicaSets.DisposeAsync();
        await _controller.DisposeAsync();
        await _server.DisposeAsync();
    }

    private IKubernetes Client => _server.Client;

    private Task<V1Deployment> Deployment(string name) => Client.AppsV1.ReadNamespacedDeploymentAsync(name, "default");

    private async Task<List<V1ReplicaSet>> ReplicaSets() => [.. (await Client.AppsV1.ListNamespacedReplicaSetAsync("default")).Items];

    private static string Image(V1ReplicaSet rs) => rs.Spec.Template.Spec.Containers[0].Image;

    private static string? Annotation(V1ObjectMeta meta, string key) => meta.Annotations?.TryGetValue(key, out var v) == true ? v : null;

    private static V1DeploymentCondition? Condition(V1Deployment d, string type) => d.Status?.Conditions?.FirstOrDefault(c => c.Type == type);

    private async Task WaitCompleteAsync(string name, string image)
    {
        await TestApiServer.Eventually(async () =>
        {
            var d = await Deployment(name);
            var replicas = d.Spec.Replicas ?? 1;
            var sets = await ReplicaSets();
            return d.Status?.ObservedGeneration >= d.Metadata.Generation &&
                   d.Status.UpdatedReplicas == replicas && d.Status.Replicas == replicas && d.Status.AvailableReplicas == replicas &&
                   Condition(d, "Progressing")?.Reason == "NewReplicaSetAvailable" &&
                   sets.Where(rs => Image(rs) == image).Sum(rs => rs.Spec.Replicas) == replicas &&
                   sets.Where(rs => Image(rs) != image).All(rs => rs.Spec.Replicas == 0);
        }, $"deployment {name} completes on {image}");
    }

    [Fact]
    public async Task A_new_deployment_gets_a_replica_set_named_by_its_template_hash_at_revision_1_and_rollout_status_succeeds()
    {
        _server.Kubectl.Ok("create", "deployment", "web", "--image=busybox", "--replicas=3");
        await WaitCompleteAsync("web", "busybox");

        var rs = Assert.Single(await ReplicaSets());
        var hash = rs.Spec.Selector.MatchLabels["pod-template-hash"];
        Assert.Equal($"web-{hash}", rs.Name());
        Assert.Matches("^[bcdfghjklmnpqrstvwxz2456789]+$", hash);
        Assert.Equal(hash, rs.Spec.Template.Metadata.Labels["pod-template-hash"]);
        Assert.Equal(hash, rs.Metadata.Labels["pod-template-hash"]);
        Assert.Equal("web", rs.Spec.Selector.MatchLabels["app"]);
        var owner = Assert.Single(rs.Metadata.OwnerReferences);
        Assert.True(owner.Controller);
        Assert.Equal(("Deployment", "web"), (owner.Kind, owner.Name));
        Assert.Equal("1", Annotation(rs.Metadata, DeploymentAnnotations.Revision));
        Assert.Equal("3", Annotation(rs.Metadata, DeploymentAnnotations.DesiredReplicas));
        Assert.Equal("4", Annotation(rs.Metadata, DeploymentAnnotations.MaxReplicas)); // 25% surge of 3, rounded up

        var d = await Deployment("web");
        Assert.Equal("1", Annotation(d.Metadata, DeploymentAnnotations.Revision));
        Assert.Equal((3, 3, 3, 3, 0), (d.Status.Replicas, d.Status.UpdatedReplicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas, d.Status.UnavailableReplicas ?? 0));
        Assert.Equal(("True", "MinimumReplicasAvailable", "Deployment has minimum availability."), (Condition(d, "Available")!.Status, Condition(d, "Available")!.Reason, Condition(d, "Available")!.Message));
        Assert.Equal(("True", $"ReplicaSet \"{rs.Name()}\" has successfully progressed."), (Condition(d, "Progressing")!.Status, Condition(d, "Progressing")!.Message));

        var status = _server.Kubectl.Ok("rollout", "status", "deployment/web", "--timeout=20s");
        Assert.Contains("deployment \"web\" successfully rolled out", status);

        // Settled: syncs that find nothing to do write nothing (no loop of status writes feeding themselves).
        await Task.Delay(500);
        Assert.Equal(d.Metadata.ResourceVersion, (await Deployment("web")).Metadata.ResourceVersion);
        Assert.Equal(rs.Metadata.ResourceVersion, (await ReplicaSets()).Single().Metadata.ResourceVersion);
    }

    [Fact]
    public async Task Set_image_rolls_within_surge_and_unavailability_history_lists_revisions_and_undo_brings_back_the_same_replica_set()
    {
        _server.Kubectl.Ok("create", "deployment", "web", "--image=busybox", "--replicas=3");
        await WaitCompleteAsync("web", "busybox");
        var first = Assert.Single(await ReplicaSets());

        // Watch the ReplicaSets through the rollout: never more than 3 + maxSurge (1) wanted, never fewer than
        // 3 - maxUnavailable (0) available.
        using var watching = new CancellationTokenSource();
        var (maxTotal, minAvailable) = (0, int.MaxValue);
        var monitor = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                var sets = await ReplicaSets();
                maxTotal = Math.Max(maxTotal, sets.Sum(rs => rs.Spec.Replicas ?? 0));
                minAvailable = Math.Min(minAvailable, sets.Sum(rs => rs.Status?.AvailableReplicas ?? 0));
                await Task.Delay(10);
            }
        });
        _server.Kubectl.Ok("set", "image", "deployment/web", "busybox=busybox:2");
        await WaitCompleteAsync("web", "busybox:2");
        await watching.CancelAsync();
        await monitor;
        Assert.True(maxTotal <= 4, $"most replicas wanted at once: {maxTotal}");
        Assert.True(minAvailable >= 3, $"fewest available at once: {minAvailable}");

        var sets = await ReplicaSets();
        Assert.Equal(2, sets.Count);
        var second = Assert.Single(sets, rs => rs.Uid() != first.Uid());
        Assert.Equal("2", Annotation(second.Metadata, DeploymentAnnotations.Revision));
        Assert.Equal("2", Annotation((await Deployment("web")).Metadata, DeploymentAnnotations.Revision));
        List<string> messages = [];
        try
        {
            await TestApiServer.Eventually(async () =>
            {
                messages = [.. (await Client.CoreV1.ListNamespacedEventAsync("default")).Items.Where(e => e.Reason == "ScalingReplicaSet").Select(e => e.Message)];
                // The old set's last step may start from 1 or 2, depending on when the test's status writes land.
                return messages.Contains($"Scaled up replica set {second.Name()} to 1") &&
                    messages.Any(m => m == $"Scaled down replica set {first.Name()} to 0 from 1" || m == $"Scaled down replica set {first.Name()} to 0 from 2");
            }, "the scaling is told in events, in upstream's words");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}; events: {string.Join(" | ", messages)}; controller log:\n{_controller.Log}", e);
        }

        var history = _server.Kubectl.Ok("rollout", "history", "deployment/web");
        Assert.Matches(@"(?m)^1\s", history);
        Assert.Matches(@"(?m)^2\s", history);
        var revision1 = _server.Kubectl.Ok("rollout", "history", "deployment/web", "--revision=1");
        Assert.Contains("Image:\tbusybox", revision1.Replace("      ", "\t").Replace(" ", ""), StringComparison.Ordinal);

        _server.Kubectl.Ok("rollout", "undo", "deployment/web");
        await WaitCompleteAsync("web", "busybox");
        var back = (await ReplicaSets()).Single(rs => rs.Uid() == first.Uid());
        Assert.Equal(3, back.Spec.Replicas);
        Assert.Equal("3", Annotation(back.Metadata, DeploymentAnnotations.Revision));
        Assert.Equal("1", Annotation(back.Metadata, DeploymentAnnotations.RevisionHistory));
        Assert.Equal("3", Annotation((await Deployment("web")).Metadata, DeploymentAnnotations.Revision));
        Assert.Equal(2, (await ReplicaSets()).Count);
        Assert.Contains("successfully rolled out", _server.Kubectl.Ok("rollout", "status", "deployment/web", "--timeout=20s"));
        Assert.Matches($@"NewReplicaSet:\s+{back.Name()} \(3/3 replicas created\)", _server.Kubectl.Ok("describe", "deployment", "web"));

        _server.Kubectl.Ok("rollout", "undo", "deployment/web", "--to-revision=2");
        await WaitCompleteAsync("web", "busybox:2");
        var again = (await ReplicaSets()).Single(rs => rs.Uid() == second.Uid());
        Assert.Equal(("4", "2"), (Annotation(again.Metadata, DeploymentAnnotations.Revision), Annotation(again.Metadata, DeploymentAnnotations.RevisionHistory)));
        Assert.Contains("skipped rollback", _server.Kubectl.Ok("rollout", "undo", "deployment/web", "--to-revision=4"));
    }

    [Fact]
    public async Task A_paused_deployment_scales_but_does_not_roll_until_resumed()
    {
        _server.Kubectl.Ok("create", "deployment", "web", "--image=busybox", "--replicas=2");
        await WaitCompleteAsync("web", "busybox");
        _server.Kubectl.Ok("rollout", "pause", "deployment/web");
        _server.Kubectl.Ok("set", "image", "deployment/web", "busybox=busybox:2");
        _server.Kubectl.Ok("scale", "deployment/web", "--replicas=4");
        await TestApiServer.Eventually(async () =>
        {
            var d = await Deployment("web");
            return d.Status?.ObservedGeneration >= d.Metadata.Generation && Condition(d, "Progressing")?.Reason == "DeploymentPaused" && d.Status.Replicas == 4;
        }, "the pause is observed, and the scale applied");
        var only = Assert.Single(await ReplicaSets());
        Assert.Equal(("busybox", 4), (Image(only), only.Spec.Replicas));
        Assert.Equal(("Unknown", "Deployment is paused"), (Condition(await Deployment("web"), "Progressing")!.Status, Condition(await Deployment("web"), "Progressing")!.Message));

        _server.Kubectl.Ok("rollout", "resume", "deployment/web");
        await WaitCompleteAsync("web", "busybox:2");
        Assert.Equal(2, (await ReplicaSets()).Count);
    }

    [Fact]
    public async Task A_rollout_that_makes_no_progress_turns_progressing_false_after_its_deadline_and_rollout_status_says_so()
    {
        _server.Kubectl.Ok("create", "deployment", "web", "--image=busybox", "--replicas=2");
        await WaitCompleteAsync("web", "busybox");
        _server.Kubectl.Ok("patch", "deployment/web", "-p", "{\"spec\":{\"progressDeadlineSeconds\":2}}");
        _replicaSets.Unavailable = rs => Image(rs) == "busybox:broken";
        _server.Kubectl.Ok("set", "image", "deployment/web", "busybox=busybox:broken");
        await TestApiServer.Eventually(async () => Condition(await Deployment("web"), "Progressing") is { Status: "False", Reason: "ProgressDeadlineExceeded" }, "the deadline passes");
        var d = await Deployment("web");
        var newRs = (await ReplicaSets()).Single(rs => Image(rs) == "busybox:broken");
        Assert.Equal($"ReplicaSet \"{newRs.Name()}\" has timed out progressing.", Condition(d, "Progressing")!.Message);
        Assert.Equal(2, (await ReplicaSets()).Single(rs => Image(rs) == "busybox").Spec.Replicas); // nothing old taken away
        var status = _server.Kubectl.Run("rollout", "status", "deployment/web", "--timeout=20s");
        Assert.NotEqual(0, status.ExitCode);
        Assert.Contains("exceeded its progress deadline", status.Stderr);
    }

    [Fact]
    public async Task Revision_history_limit_deletes_the_oldest_replica_sets_at_zero()
    {
        _server.Kubectl.Ok("create", "deployment", "web", "--image=busybox", "--replicas=1");
        _server.Kubectl.Ok("patch", "deployment/web", "-p", "{\"spec\":{\"revisionHistoryLimit\":1}}");
        await WaitCompleteAsync("web", "busybox");
        foreach (var image in new[] { "busybox:2", "busybox:3", "busybox:4" })
        {
            _server.Kubectl.Ok("set", "image", "deployment/web", $"busybox={image}");
            await WaitCompleteAsync("web", image);
        }
        await TestApiServer.Eventually(async () => (await ReplicaSets()).Count == 2, "one old ReplicaSet is kept");
        Assert.Equal(["busybox:3", "busybox:4"], (await ReplicaSets()).Select(Image).Order());
        var history = _server.Kubectl.Ok("rollout", "history", "deployment/web");
        Assert.DoesNotMatch(@"(?m)^[12]\s", history);
        Assert.Matches(@"(?m)^3\s", history);
        Assert.Matches(@"(?m)^4\s", history);
    }

    [Fact]
    public async Task Restart_makes_a_new_replica_set_and_change_cause_is_recorded_in_history()
    {
        _server.Kubectl.Ok("create", "deployment", "web", "--image=busybox", "--replicas=1");
        await WaitCompleteAsync("web", "busybox");
        _server.Kubectl.Ok("annotate", "deployment/web", "kubernetes.io/change-cause=restart for the test");
        _server.Kubectl.Ok("rollout", "restart", "deployment/web");
        await TestApiServer.Eventually(async () => (await ReplicaSets()).Count == 2, "a second ReplicaSet");
        await WaitCompleteAsync("web", "busybox");
        var restarted = (await ReplicaSets()).Single(rs => rs.Spec.Replicas == 1);
        Assert.NotNull(Annotation(restarted.Spec.Template.Metadata, "kubectl.kubernetes.io/restartedAt"));
        Assert.Equal("restart for the test", Annotation(restarted.Metadata, DeploymentAnnotations.ChangeCause));
        Assert.Contains("restart for the test", _server.Kubectl.Ok("rollout", "history", "deployment/web"));
    }

    [Fact]
    public async Task Orphan_replica_sets_the_selector_matches_are_adopted_and_ones_that_stop_matching_released()
    {
        _server.Kubectl.Ok("create", "deployment", "web", "--image=busybox", "--replicas=1");
        await WaitCompleteAsync("web", "busybox");
        var rs = Assert.Single(await ReplicaSets());
        // Orphaned (as `kubectl delete deployment --cascade=orphan` leaves them), then taken back.
        _server.Kubectl.Ok("patch", "rs/" + rs.Name(), "--type=json", "-p", "[{\"op\":\"remove\",\"path\":\"/metadata/ownerReferences\"}]");
        await TestApiServer.Eventually(async () => (await ReplicaSets()).Single().Metadata.OwnerReferences?.SingleOrDefault()?.Name == "web", "adopted again");
        Assert.Single(await ReplicaSets()); // adopted, not replaced

        _server.Kubectl.Ok("label", "rs/" + rs.Name(), "app=other", "--overwrite");
        await TestApiServer.Eventually(async () => (await ReplicaSets()).Count == 2, "released, and a new one made");
        var released = (await ReplicaSets()).Single(r => r.Uid() == rs.Uid());
        Assert.Empty(released.Metadata.OwnerReferences ?? []);
    }

    [Fact]
    public async Task Too_few_available_replicas_turn_available_false_and_a_replica_set_failure_is_copied_until_it_clears()
    {
        _replicaSets.Unavailable = _ => true;
        _replicaSets.Failure = _ => new V1ReplicaSetCondition { Type = "ReplicaFailure", Status = "True", Reason = "FailedCreate", Message = "pods \"web-x\" is forbidden: exceeded quota", LastTransitionTime = DateTime.UtcNow };
        _server.Kubectl.Ok("create", "deployment", "web", "--image=busybox", "--replicas=2");
        await TestApiServer.Eventually(async () =>
        {
            var d = await Deployment("web");
            return Condition(d, "Available") is { Status: "False", Reason: "MinimumReplicasUnavailable" } && Condition(d, "ReplicaFailure") is { Status: "True", Reason: "FailedCreate" };
        }, "Available False and ReplicaFailure copied");
        var failure = Condition(await Deployment("web"), "ReplicaFailure")!;
        Assert.Equal("pods \"web-x\" is forbidden: exceeded quota", failure.Message);
        Assert.Equal(("Deployment does not have minimum availability.", 2), (Condition(await Deployment("web"), "Available")!.Message, (await Deployment("web")).Status.UnavailableReplicas));

        _replicaSets.Failure = _ => null;
        _replicaSets.Unavailable = _ => false;
        await WaitCompleteAsync("web", "busybox");
        var d = await Deployment("web");
        Assert.Null(Condition(d, "ReplicaFailure"));
        Assert.Equal(("True", "MinimumReplicasAvailable"), (Condition(d, "Available")!.Status, Condition(d, "Available")!.Reason));
    }

    [Fact]
    public async Task Scaling_a_stalled_rollout_shares_the_new_replicas_in_proportion()
    {
        _server.Kubectl.Ok("create", "deployment", "web", "--image=busybox", "--replicas=10");
        await WaitCompleteAsync("web", "busybox");
        _replicaSets.Unavailable = rs => Image(rs) == "busybox:2";
        _server.Kubectl.Ok("set", "image", "deployment/web", "busybox=busybox:2");
        // 10 with surge 3 and unavailability 2: the old ReplicaSet goes to 8, the new one to 5, and there it stalls.
        await TestApiServer.Eventually(async () => (await ReplicaSets()).Select(rs => (Image(rs), rs.Spec.Replicas)).Order().SequenceEqual([("busybox", 8), ("busybox:2", 5)]), "the rollout stalls at 8 + 5");
        _server.Kubectl.Ok("scale", "deployment/web", "--replicas=20");
        // 25 = 20 + 5 to share: 8 * 25 / 13 = 15.4 -> 15, 5 * 25 / 13 = 9.6 -> 10.
        await TestApiServer.Eventually(async () => (await ReplicaSets()).Select(rs => (Image(rs), rs.Spec.Replicas)).Order().SequenceEqual([("busybox", 15), ("busybox:2", 10)]), "scaled in proportion to 15 + 10");
        Assert.All(await ReplicaSets(), rs => Assert.Equal(("20", "25"), (Annotation(rs.Metadata, DeploymentAnnotations.DesiredReplicas), Annotation(rs.Metadata, DeploymentAnnotations.MaxReplicas))));
    }

    [Fact]
    public async Task Min_ready_seconds_is_handed_to_the_current_replica_set_without_a_new_rollout()
    {
        _server.Kubectl.Ok("create", "deployment", "web", "--image=busybox", "--replicas=1");
        await WaitCompleteAsync("web", "busybox");
        _server.Kubectl.Ok("patch", "deployment/web", "-p", "{\"spec\":{\"minReadySeconds\":5}}");
        await TestApiServer.Eventually(async () => (await ReplicaSets()).Single().Spec.MinReadySeconds == 5, "the ReplicaSet counts availability after 5 s");
        await WaitCompleteAsync("web", "busybox");
        Assert.Single(await ReplicaSets());
        Assert.Equal("1", Annotation((await Deployment("web")).Metadata, DeploymentAnnotations.Revision));
    }
}
