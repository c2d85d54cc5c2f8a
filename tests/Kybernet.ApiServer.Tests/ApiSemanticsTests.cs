using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Tests;

/// <summary>API conventions below kubectl: watches, tables, generateName, dryRun, finalizers, propagation, allocators.</summary>
public sealed class ApiSemanticsTests : IClassFixture<ServerFixture>, IDisposable
{
    private static int _counter;
    private readonly ServerFixture _server;
    private readonly ApiClient _api;
    private readonly string _ns;

    public ApiSemanticsTests(ServerFixture server)
    {
        _server = server;
        _api = new ApiClient(server.DataDirectory, server.Server.Url);
        _ns = $"s{Interlocked.Increment(ref _counter)}-{Guid.NewGuid():N}"[..12];
        var (status, _) = _api.Post("/api/v1/namespaces", new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = _ns } }).GetAwaiter().GetResult();
        Assert.Equal(201, status);
    }

    public void Dispose() => _api.Dispose();

    private string Cm => $"/api/v1/namespaces/{_ns}/configmaps";

    private static JsonObject ConfigMap(string? name, string? generateName = null, JsonArray? finalizers = null, JsonArray? owners = null)
    {
        var meta = new JsonObject();
        if (name is not null) meta["name"] = name;
        if (generateName is not null) meta["generateName"] = generateName;
        if (finalizers is not null) meta["finalizers"] = finalizers;
        if (owners is not null) meta["ownerReferences"] = owners;
        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = meta, ["data"] = new JsonObject { ["k"] = "v" } };
    }

    [Fact]
    public async Task Generate_name_appends_five_characters()
    {
        var (status, body) = await _api.Post(Cm, ConfigMap(null, generateName: "job-"));
        Assert.Equal(201, status);
        Assert.Matches("^job-[bcdfghjklmnpqrstvwxz2456789]{5}$", body["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Dry_run_answers_without_storing()
    {
        var (status, _) = await _api.Post(Cm + "?dryRun=All", ConfigMap("dry"));
        Assert.Equal(201, status);
        Assert.Equal(404, (await _api.Get($"{Cm}/dry")).Status);
    }

    [Fact]
    public async Task Tables_carry_the_upstream_columns_and_the_object_metadata()
    {
        await _api.Post(Cm, ConfigMap("t"));
        var (_, table) = await _api.Get(Cm, accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
        Assert.Equal("Table", table["kind"]!.GetValue<string>());
        Assert.Equal(["Name", "Data", "Age"], table["columnDefinitions"]!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        var row = table["rows"]![0]!;
        Assert.Equal("t", row["cells"]![0]!.GetValue<string>());
        Assert.Equal(1, row["cells"]![1]!.GetValue<int>());
        Assert.Equal("PartialObjectMetadata", row["object"]!["kind"]!.GetValue<string>());
        Assert.Equal(_ns, row["object"]!["metadata"]!["namespace"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_watch_from_a_compacted_revision_gets_410_expired()
    {
        var (_, first) = await _api.Post(Cm, ConfigMap("old"));
        var oldRevision = long.Parse(first["metadata"]!["resourceVersion"]!.GetValue<string>());
        for (int i = 0; i < 3; i++) await _api.Post(Cm, ConfigMap($"newer-{i}"));
        var current = await _server.Store.CurrentRevisionAsync();
        await _server.Store.CompactAsync(current);

        using var response = await _api.Http.GetAsync($"{Cm}?watch=true&resourceVersion={oldRevision}", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var line = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var evt = JsonNode.Parse(line!)!;
        Assert.Equal("ERROR", evt["type"]!.GetValue<string>());
        Assert.Equal(410, evt["object"]!["code"]!.GetValue<int>());
        Assert.Equal("Expired", evt["object"]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_quiet_watch_answers_at_once_then_delivers_events_over_http_1_1()
    {
        var (_, list) = await _api.Get(Cm);
        var revision = list["metadata"]!["resourceVersion"]!.GetValue<string>();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Cm}?watch=true&resourceVersion={revision}") { Version = System.Net.HttpVersion.Version11 };
        using var response = await _api.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("chunked", response.Headers.TransferEncoding.ToString());
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        await _api.Post(Cm, ConfigMap("late"));
        var evt = JsonNode.Parse((await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)))!)!;
        Assert.Equal("ADDED", evt["type"]!.GetValue<string>());
        Assert.Equal("late", evt["object"]!["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Finalizers_hold_an_object_until_they_are_removed()
    {
        await _api.Post(Cm, ConfigMap("held", finalizers: new JsonArray("example.com/keep")));
        var (status, deleting) = await _api.Delete($"{Cm}/held");
        Assert.Equal(200, status);
        Assert.NotNull(deleting["metadata"]!["deletionTimestamp"]);
        Assert.Equal(200, (await _api.Get($"{Cm}/held")).Status);

        var (_, current) = await _api.Get($"{Cm}/held");
        current["metadata"]!.AsObject().Remove("finalizers");
        Assert.Equal(200, (await _api.Put($"{Cm}/held", current)).Status);
        Assert.Equal(404, (await _api.Get($"{Cm}/held")).Status);
    }

    [Fact]
    public async Task Background_deletion_collects_dependents_and_orphan_keeps_them()
    {
        var (_, owner) = await _api.Post(Cm, ConfigMap("owner"));
        var reference = new JsonArray(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["name"] = "owner", ["uid"] = owner["metadata"]!["uid"]!.DeepClone() });
        await _api.Post(Cm, ConfigMap("dependent", owners: reference));
        await _api.Delete($"{Cm}/owner", new JsonObject { ["propagationPolicy"] = "Background" });
        await Eventually(async () => (await _api.Get($"{Cm}/dependent")).Status == 404, "the dependent was collected");

        var (_, owner2) = await _api.Post(Cm, ConfigMap("owner2"));
        var reference2 = new JsonArray(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["name"] = "owner2", ["uid"] = owner2["metadata"]!["uid"]!.DeepClone() });
        await _api.Post(Cm, ConfigMap("orphan", owners: reference2));
        var (_, marked) = await _api.Delete($"{Cm}/owner2", new JsonObject { ["propagationPolicy"] = "Orphan" });
        Assert.Contains("orphan", marked["metadata"]!["finalizers"]!.AsArray().Select(f => f!.GetValue<string>()));
        // The garbage collector takes the reference away, then the finalizer; then the owner goes and the orphan stays.
        await Eventually(async () => (await _api.Get($"{Cm}/owner2")).Status == 404, "the owner went once its dependent was orphaned");
        var (status, orphan) = await _api.Get($"{Cm}/orphan");
        Assert.Equal(200, status);
        Assert.Empty(orphan["metadata"]!["ownerReferences"]!.AsArray());
    }

    [Fact]
    public async Task Foreground_deletion_removes_dependents_first()
    {
        var (_, owner) = await _api.Post(Cm, ConfigMap("fg-owner"));
        var reference = new JsonArray(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["name"] = "fg-owner", ["uid"] = owner["metadata"]!["uid"]!.DeepClone(), ["blockOwnerDeletion"] = true });
        await _api.Post(Cm, ConfigMap("fg-dependent", owners: reference));
        var (_, marked) = await _api.Delete($"{Cm}/fg-owner", new JsonObject { ["propagationPolicy"] = "Foreground" });
        Assert.Contains("foregroundDeletion", marked["metadata"]!["finalizers"]!.AsArray().Select(f => f!.GetValue<string>()));
        await Eventually(async () => (await _api.Get($"{Cm}/fg-owner")).Status == 404, "the owner went after its dependent");
        Assert.Equal(404, (await _api.Get($"{Cm}/fg-dependent")).Status);
    }

    [Fact]
    public async Task A_uid_in_a_write_is_a_precondition_and_owner_references_must_name_their_owner()
    {
        Assert.Equal(201, (await _api.Post(Cm, ConfigMap("uid-guarded"))).Status);
        var (status, conflict) = await _api.Send(HttpMethod.Patch, $"{Cm}/uid-guarded",
            JsonNode.Parse("""{"metadata":{"uid":"00000000-0000-0000-0000-000000000000","labels":{"a":"b"}}}"""), "application/merge-patch+json");
        Assert.Equal(409, status);
        Assert.Contains("Precondition failed: UID in precondition: 00000000-0000-0000-0000-000000000000", conflict["message"]!.GetValue<string>());
        Assert.Null((await _api.Get($"{Cm}/uid-guarded")).Body["metadata"]!["labels"]);

        var (invalid, body) = await _api.Post(Cm, ConfigMap("no-owner-uid", owners: new JsonArray(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["name"] = "x" })));
        Assert.Equal(422, invalid);
        Assert.Contains("metadata.ownerReferences[0].uid", body["details"]!["causes"]!.AsArray().Select(c => c!["field"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Deletecollection_with_a_label_selector()
    {
        for (int i = 0; i < 3; i++)
        {
            var cm = ConfigMap($"c{i}");
            cm["metadata"]!["labels"] = new JsonObject { ["batch"] = i < 2 ? "x" : "y" };
            await _api.Post(Cm, cm);
        }
        Assert.Equal(200, (await _api.Delete($"{Cm}?labelSelector=batch%3Dx")).Status);
        var (_, list) = await _api.Get(Cm);
        Assert.Equal(["c2"], list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).Where(n => n.StartsWith('c')));
    }

    [Fact]
    public async Task Services_get_cluster_ips_and_node_ports_that_are_never_shared()
    {
        JsonObject Service(string name, string type, string? ip = null) => new()
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["type"] = type,
                ["clusterIP"] = ip,
                ["ports"] = new JsonArray(new JsonObject { ["port"] = 80 }),
            },
        };
        var path = $"/api/v1/namespaces/{_ns}/services";
        var (s1, a) = await _api.Post(path, Service("a", "ClusterIP"));
        var (s2, b) = await _api.Post(path, Service("b", "NodePort"));
        Assert.Equal((201, 201), (s1, s2));
        var ipA = a["spec"]!["clusterIP"]!.GetValue<string>();
        var ipB = b["spec"]!["clusterIP"]!.GetValue<string>();
        Assert.NotEqual(ipA, ipB);
        Assert.StartsWith("10.", ipA);
        Assert.InRange(b["spec"]!["ports"]![0]!["nodePort"]!.GetValue<int>(), 30000, 32767);

        var (taken, error) = await _api.Post(path, Service("c", "ClusterIP", ipA));
        Assert.Equal(422, taken);
        Assert.Contains("provided IP is already allocated", error["message"]!.GetValue<string>());

        await _api.Delete($"{path}/a");
        await Eventually(async () => (await _api.Post(path, Service("c", "ClusterIP", ipA))).Status == 201, "the freed IP can be used again");
    }

    private static async Task Eventually(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"timed out waiting until {what}");
            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task Node_status_writes_keep_annotations_as_flanneld_needs_and_never_the_spec()
    {
        var name = $"{_ns}-node";
        var (created, _) = await _api.Post("/api/v1/nodes", new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Node",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject { ["podCIDR"] = "10.244.9.0/24" },
        });
        Assert.Equal(201, created);
        try
        {
            // flanneld's write: a strategic merge patch on nodes/NAME/status carrying its annotations.
            var patch = new JsonObject
            {
                ["metadata"] = new JsonObject { ["annotations"] = new JsonObject { ["flannel.alpha.coreos.com/public-ip"] = "192.168.200.11" } },
                ["spec"] = new JsonObject { ["podCIDR"] = "10.244.10.0/24" },
                ["status"] = new JsonObject { ["conditions"] = new JsonArray(new JsonObject { ["type"] = "NetworkUnavailable", ["status"] = "False" }) },
            };
            var (patched, body) = await _api.Send(HttpMethod.Patch, $"/api/v1/nodes/{name}/status", patch, "application/strategic-merge-patch+json");
            Assert.Equal(200, patched);
            Assert.Equal("192.168.200.11", body["metadata"]!["annotations"]!["flannel.alpha.coreos.com/public-ip"]!.GetValue<string>());
            Assert.Equal("10.244.9.0/24", body["spec"]!["podCIDR"]!.GetValue<string>());
            Assert.Equal("NetworkUnavailable", body["status"]!["conditions"]![0]!["type"]!.GetValue<string>());
        }
        finally
        {
            await _api.Delete($"/api/v1/nodes/{name}");
        }
    }
}
