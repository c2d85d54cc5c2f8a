using k8s;
using k8s.Models;

namespace Kybernet.Controllers.Tests.Replication;

/// <summary>ReplicaSets against a real API server: structured selectors, status, failures, and no double creation.</summary>
public sealed class ReplicaSetTests : IAsyncLifetime
{
    private const string Ns = ReplicationCluster.Ns;
    private ReplicationCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ReplicationCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private IKubernetes Client => _cluster.Client;

    private static string ReplicaSet(string name, int replicas, int minReadySeconds = 0, string extraSpec = "") => $$"""
        apiVersion: apps/v1
        kind: ReplicaSet
        metadata: {name: {{name}} }
        spec:
          replicas: {{replicas}}
          minReadySeconds: {{minReadySeconds}}
          selector:
            matchLabels: {app: {{name}} }
            matchExpressions: [{key: tier, operator: In, values: [front, edge]}]
          template:
            metadata: {labels: {app: {{name}}, tier: front, extra: "yes"} }
            spec:
              containers: [{name: main, image: busybox, command: [sleep, "3600"]}]
              {{extraSpec}}
        """;

    private Task<V1ReplicaSet> Read(string name) => Client.AppsV1.ReadNamespacedReplicaSetAsync(name, Ns);

    [Fact]
    public async Task Match_labels_and_match_expressions_decide_which_orphans_are_adopted()
    {
        _cluster.Kubectl.Ok("run", "edge", "--image=busybox", "--labels=app=web,tier=edge", "--restart=Never");
        _cluster.Kubectl.Ok("run", "back", "--image=busybox", "--labels=app=web,tier=back", "--restart=Never");
        _cluster.Kubectl.OkWith(ReplicaSet("web", 3), "create", "-f", "-");
        var rs = await Read("web");

        var pods = await _cluster.WaitForPodsAsync("app=web,tier in (front,edge)", 3, now => now.All(p => p.Metadata.OwnerReferences?.Count == 1));
        Assert.Contains(pods, p => p.Name() == "edge");
        Assert.All(pods, p => Assert.Equal(("apps/v1", "ReplicaSet", rs.Uid()), (p.Metadata.OwnerReferences[0].ApiVersion, p.Metadata.OwnerReferences[0].Kind, p.Metadata.OwnerReferences[0].Uid)));
        Assert.Null((await Client.CoreV1.ReadNamespacedPodAsync("back", Ns)).Metadata.OwnerReferences);

        // The adopted pod lacks the template's label extra=yes: a replica, but not fully labeled.
        await TestApiServer.Eventually(async () => (await Read("web")).Status is { Replicas: 3, FullyLabeledReplicas: 2 }, "status: 3 replicas, 2 fully labeled");
        Assert.Contains("web", _cluster.Kubectl.Ok("get", "rs", "web"));
    }

    [Fact]
    public async Task Status_counts_ready_pods_and_available_ones_after_min_ready_seconds()
    {
        _cluster.Kubectl.OkWith(ReplicaSet("web", 3, minReadySeconds: 2), "create", "-f", "-");
        var pods = await _cluster.WaitForPodsAsync("app=web", 3);
        await _cluster.SetReadyAsync(pods[0], true, DateTime.UtcNow.AddHours(-1));
        await _cluster.SetReadyAsync(pods[1], true, DateTime.UtcNow.AddHours(-1));
        await TestApiServer.Eventually(async () => (await Read("web")).Status is { ReadyReplicas: 2, AvailableReplicas: 2 }, "2 ready and available");

        // Ready just now: available two seconds later, with no event to say so (the controller looks again by itself).
        await _cluster.SetReadyAsync(pods[2], true, DateTime.UtcNow);
        await TestApiServer.Eventually(async () => (await Read("web")).Status is { ReadyReplicas: 3, AvailableReplicas: 3 }, "3 ready and available");

        await _cluster.SetReadyAsync(pods[0], false, DateTime.UtcNow);
        await TestApiServer.Eventually(async () => (await Read("web")).Status is { Replicas: 3, ReadyReplicas: 2, AvailableReplicas: 2, ObservedGeneration: 1 }, "back to 2 ready");
        var columns = _cluster.Kubectl.Ok("get", "rs", "web", "--no-headers");
        Assert.Matches(@"^web\s+3\s+3\s+2\s", columns);
    }

    [Fact]
    public async Task A_template_the_api_rejects_gives_the_ReplicaFailure_condition_and_a_FailedCreate_event_until_fixed()
    {
        _cluster.Kubectl.OkWith(ReplicaSet("web", 2, extraSpec: "priorityClassName: no-such-class"), "create", "-f", "-");

        V1ReplicaSetCondition? failure = null;
        await TestApiServer.Eventually(async () => (failure = (await Read("web")).Status?.Conditions?.SingleOrDefault(c => c.Type == "ReplicaFailure")) is not null,
            "the ReplicaFailure condition is set");
        Assert.Equal(("True", "FailedCreate"), (failure!.Status, failure.Reason));
        Assert.Contains("no PriorityClass with name no-such-class was found", failure.Message);
        await TestApiServer.Eventually(() => Task.FromResult(_cluster.Kubectl.Ok("get", "events", "--field-selector", "reason=FailedCreate", "-o", "custom-columns=OBJ:.involvedObject.name,MSG:.message")
            .Contains("no PriorityClass with name no-such-class was found")), "a FailedCreate event about the RS");
        Assert.Contains("creating a pod failed", _cluster.ReplicaSets.Log);

        // Fixed: the pods are made and the condition goes.
        _cluster.Kubectl.Ok("patch", "rs", "web", "--type=json", "-p", """[{"op":"remove","path":"/spec/template/spec/priorityClassName"}]""");
        await _cluster.WaitForPodsAsync("app=web", 2);
        await TestApiServer.Eventually(async () => (await Read("web")).Status is { Replicas: 2, Conditions: null or { Count: 0 } }, "the condition is removed");
    }

    [Fact]
    public async Task A_create_refused_because_the_namespace_is_terminating_is_not_a_replica_failure()
    {
        // No namespace controller runs here: a deleted namespace stays Terminating, and what is in it stays too.
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "doomed" } });
        _cluster.Kubectl.OkWith(ReplicaSet("web", 0), "create", "-n", "doomed", "-f", "-");
        await TestApiServer.Eventually(async () => (await Client.AppsV1.ReadNamespacedReplicaSetAsync("web", "doomed")).Status?.ObservedGeneration == 1, "the RS is synced once");
        await Client.CoreV1.DeleteNamespaceAsync("doomed");

        _cluster.Kubectl.Ok("scale", "rs", "web", "-n", "doomed", "--replicas=2");

        await TestApiServer.Eventually(() => Task.FromResult(_cluster.ReplicaSets.Log.Contains("ReplicaSet doomed/web: not creating a pod, its namespace is being terminated")), "the refusal is logged");
        await TestApiServer.Eventually(async () => (await Client.AppsV1.ReadNamespacedReplicaSetAsync("web", "doomed")).Status?.ObservedGeneration == 2, "the RS's status answers the scale");
        var status = (await Client.AppsV1.ReadNamespacedReplicaSetAsync("web", "doomed")).Status;
        Assert.True(status.Conditions is null or { Count: 0 }, "no ReplicaFailure condition");
        Assert.Empty((await Client.CoreV1.ListNamespacedPodAsync("doomed")).Items);
    }
}
