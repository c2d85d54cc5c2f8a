using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Tests.Registry.Subresources;

/// <summary>pods/eviction honouring PodDisruptionBudgets, pods/binding and core/v1 bindings, and graceful deletion, over HTTP JSON as clients send them.</summary>
public sealed class EvictionAndBindingTests : IClassFixture<ServerFixture>, IDisposable
{
    private static int _counter;
    private readonly ApiClient _api;
    private readonly string _ns;
    private readonly string _node;

    public EvictionAndBindingTests(ServerFixture server)
    {
        _api = new ApiClient(server.DataDirectory, server.Server.Url);
        _ns = $"e{Interlocked.Increment(ref _counter)}-{Guid.NewGuid():N}"[..12];
        _node = $"node-{_ns}";
        Created(_api.Post("/api/v1/namespaces", Json($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{_ns}}}"}}""")));
        Created(_api.Post("/api/v1/nodes", Json($$$"""{"apiVersion":"v1","kind":"Node","metadata":{"name":"{{{_node}}}"}}""")));
    }

    public void Dispose()
    {
        Sync(_api.Delete($"/api/v1/nodes/{_node}"));
        _api.Dispose();
    }

    private static JsonObject Json(string text) => (JsonObject)JsonNode.Parse(text)!;

    /// <summary>Waits for a request outside the test methods (the xunit analyzer keeps blocking waits out of them).</summary>
    private static T Sync<T>(Task<T> task) => task.GetAwaiter().GetResult();

    private static JsonObject Created(Task<(int Status, JsonObject Body)> request)
    {
        var (status, body) = Sync(request);
        Assert.True(status == 201, $"{status}: {body.ToJsonString()}");
        return body;
    }

    private string Pods => $"/api/v1/namespaces/{_ns}/pods";

    /// <summary>A pod labelled app=db, bound to the test's node, Ready (as its kubelet would report it) unless told otherwise.</summary>
    private void ReadyPod(string name, bool ready = true)
    {
        Created(_api.Post(Pods, Json($$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}","labels":{"app":"db"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}""")));
        Created(_api.Post($"{Pods}/{name}/binding", Json($$$"""{"apiVersion":"v1","kind":"Binding","metadata":{"name":"{{{name}}}"},"target":{"kind":"Node","name":"{{{_node}}}"}}""")));
        // Read and write again on a conflict, as a kubelet does: the server's controllers may write the pod meanwhile.
        for (var attempt = 1; ; attempt++)
        {
            var (status, pod) = Sync(_api.Get($"{Pods}/{name}"));
            Assert.Equal(200, status);
            pod["status"]!["conditions"] = JsonNode.Parse($$$"""[{"type":"Ready","status":"{{{(ready ? "True" : "False")}}}"}]""");
            var (written, body) = Sync(_api.Put($"{Pods}/{name}/status", pod));
            if (written == 409 && attempt < 5)
                continue;
            Assert.True(written == 200, body.ToJsonString());
            return;
        }
    }

    private (int Status, JsonObject Body) Evict(string name, string deleteOptions = "") =>
        Sync(_api.Post($"{Pods}/{name}/eviction", Json($$$"""{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"{{{name}}}"}{{{deleteOptions}}}}""")));

    private JsonObject? Pod(string name)
    {
        var (status, body) = Sync(_api.Get($"{Pods}/{name}"));
        return status == 404 ? null : body;
    }

    [Fact]
    public void An_eviction_the_budget_does_not_allow_is_refused_with_429_and_one_it_allows_deletes_the_pod()
    {
        ReadyPod("a");
        ReadyPod("b");
        Created(_api.Post($"/apis/policy/v1/namespaces/{_ns}/poddisruptionbudgets",
            Json("""{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"db"},"spec":{"minAvailable":2,"selector":{"matchLabels":{"app":"db"}}}}""")));

        var (status, refused) = Evict("a");
        Assert.Equal(429, status);
        Assert.Equal("TooManyRequests", refused["reason"]!.GetValue<string>());
        Assert.Equal("Cannot evict pod as it would violate the pod's disruption budget.", refused["message"]!.GetValue<string>());
        var cause = refused["details"]!["causes"]![0]!;
        Assert.Equal("DisruptionBudget", cause["reason"]!.GetValue<string>());
        Assert.Equal("The disruption budget db needs 2 healthy pods and has 2 currently", cause["message"]!.GetValue<string>());
        Assert.Null(Pod("a")!["metadata"]!["deletionTimestamp"]);
        var (_, pdb) = Sync(_api.Get($"/apis/policy/v1/namespaces/{_ns}/poddisruptionbudgets/db"));
        foreach (var (field, value) in new[] { ("expectedPods", 2), ("currentHealthy", 2), ("desiredHealthy", 2), ("disruptionsAllowed", 0), ("observedGeneration", 1) })
            Assert.Equal(value, pdb["status"]![field]!.GetValue<int>());

        // The budget loosened: the eviction goes through, as a delete with the eviction's options.
        pdb["spec"]!["minAvailable"] = 1;
        Assert.Equal(200, Sync(_api.Put($"/apis/policy/v1/namespaces/{_ns}/poddisruptionbudgets/db", pdb)).Status);
        var (accepted, success) = Evict("a", ""","deleteOptions":{"gracePeriodSeconds":0}""");
        Assert.True(accepted == 201, success.ToJsonString());
        Assert.Equal("Success", success["status"]!.GetValue<string>());
        Assert.Null(Pod("a"));

        // One healthy pod left, one needed: b stays.
        Assert.Equal(429, Evict("b").Status);
        Assert.NotNull(Pod("b"));
    }

    [Fact]
    public void An_unready_pod_may_go_while_the_budget_is_met_and_an_evicted_pod_on_a_node_terminates_gracefully()
    {
        ReadyPod("c");
        ReadyPod("d");
        ReadyPod("sick", ready: false);
        Created(_api.Post($"/apis/policy/v1/namespaces/{_ns}/poddisruptionbudgets",
            Json("""{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"db"},"spec":{"maxUnavailable":1,"selector":{"matchLabels":{"app":"db"}}}}""")));
        // 3 expected, 1 may be unavailable: 2 must stay healthy, and 2 are.
        Assert.Equal(201, Evict("sick").Status);
        var terminating = Pod("sick")!;
        Assert.Equal(30, terminating["metadata"]!["deletionGracePeriodSeconds"]!.GetValue<int>());
        Assert.Equal(429, Evict("c").Status);
        // A pod already being deleted is evicted again without asking the budget.
        Assert.Equal(201, Evict("sick", ""","deleteOptions":{"gracePeriodSeconds":0}""").Status);
        Assert.Null(Pod("sick"));
    }

    [Fact]
    public void A_pod_under_two_budgets_cannot_be_evicted_and_a_missing_pod_is_404()
    {
        ReadyPod("e");
        foreach (var name in new[] { "one", "two" })
            Created(_api.Post($"/apis/policy/v1/namespaces/{_ns}/poddisruptionbudgets",
                Json("""{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":""" + $"\"{name}\"" + """},"spec":{"maxUnavailable":1,"selector":{"matchLabels":{"app":"db"}}}}""")));
        var (status, body) = Evict("e");
        Assert.Equal(500, status);
        Assert.Equal("This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.", body["message"]!.GetValue<string>());
        Assert.Equal(404, Evict("nobody").Status);
    }

    [Fact]
    public void A_pod_is_bound_once_through_pods_binding_or_bindings()
    {
        Created(_api.Post(Pods, Json("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}""")));
        Created(_api.Post(Pods, Json("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"q"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}""")));
        var success = Created(_api.Post($"{Pods}/p/binding", Json($$$"""{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p"},"target":{"kind":"Node","name":"{{{_node}}}"}}""")));
        Assert.Equal("Success", success["status"]!.GetValue<string>());
        var bound = Pod("p")!;
        Assert.Equal(_node, bound["spec"]!["nodeName"]!.GetValue<string>());
        Assert.Contains(bound["status"]!["conditions"]!.AsArray(), c => c!["type"]!.GetValue<string>() == "PodScheduled" && c["status"]!.GetValue<string>() == "True");

        var (again, conflict) = Sync(_api.Post($"{Pods}/p/binding", Json("""{"apiVersion":"v1","kind":"Binding","metadata":{"name":"p"},"target":{"kind":"Node","name":"elsewhere"}}""")));
        Assert.Equal(409, again);
        Assert.Equal("Conflict", conflict["reason"]!.GetValue<string>());
        Assert.Contains($"pod p is already assigned to node \"{_node}\"", conflict["message"]!.GetValue<string>());

        // The older way: POST a Binding to the namespace's bindings; nothing else is served there.
        Created(_api.Post($"/api/v1/namespaces/{_ns}/bindings", Json($$$"""{"apiVersion":"v1","kind":"Binding","metadata":{"name":"q"},"target":{"kind":"Node","name":"{{{_node}}}"}}""")));
        Assert.Equal(_node, Pod("q")!["spec"]!["nodeName"]!.GetValue<string>());
        Assert.Equal(405, Sync(_api.Get($"/api/v1/namespaces/{_ns}/bindings")).Status);
        var (invalid, _) = Sync(_api.Post($"{Pods}/q/binding", Json("""{"apiVersion":"v1","kind":"Binding","metadata":{"name":"q"},"target":{"kind":"Node"}}""")));
        Assert.Equal(422, invalid);
    }

    [Fact]
    public void A_delete_with_a_grace_period_marks_a_bound_pod_and_a_shorter_one_brings_it_forward()
    {
        ReadyPod("g");
        var (status, marked) = Sync(_api.Delete($"{Pods}/g", Json("""{"gracePeriodSeconds":45}""")));
        Assert.Equal(200, status);
        Assert.Equal(45, marked["metadata"]!["deletionGracePeriodSeconds"]!.GetValue<int>());
        var first = DateTime.Parse(marked["metadata"]!["deletionTimestamp"]!.GetValue<string>(), null, System.Globalization.DateTimeStyles.AdjustToUniversal);
        // A status write by the kubelet meanwhile does not remove it.
        var pod = Pod("g")!;
        pod["status"]!["phase"] = "Running";
        Assert.Equal(200, Sync(_api.Put($"{Pods}/g/status", pod)).Status);
        var (_, shortened) = Sync(_api.Delete($"{Pods}/g", Json("""{"gracePeriodSeconds":10}""")));
        Assert.Equal(10, shortened["metadata"]!["deletionGracePeriodSeconds"]!.GetValue<int>());
        Assert.True(DateTime.Parse(shortened["metadata"]!["deletionTimestamp"]!.GetValue<string>(), null, System.Globalization.DateTimeStyles.AdjustToUniversal) < first);
        Assert.Equal(200, Sync(_api.Delete($"{Pods}/g", Json("""{"gracePeriodSeconds":0}"""))).Status);
        Assert.Null(Pod("g"));
    }
}
