using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Kybernet.ApiServer.Storage;
using Kybernet.Client;

namespace Kybernet.ApiServer.Tests.Http;

/// <summary>
/// ?limit= and ?continue= on lists, as kubectl (get --chunk-size) and the official C# client page
/// through them: consistent snapshots, filled pages under selectors, remainingItemCount, 410 once
/// the snapshot is compacted, 400 for tokens that are not the server's.
/// </summary>
public sealed class ListPagingTests : IClassFixture<ServerFixture>, IDisposable
{
    private static int _counter;
    private readonly ServerFixture _server;
    private readonly ApiClient _api;
    private readonly IKubernetes _client;
    private readonly string _ns;

    public ListPagingTests(ServerFixture server)
    {
        _server = server;
        _api = new ApiClient(server.DataDirectory, server.Server.Url);
        _client = KubeClient.FromKubeconfig(server.Server.KubeconfigPath);
        _ns = $"p{Interlocked.Increment(ref _counter)}-{Guid.NewGuid():N}"[..12];
        server.Kubectl.OkWith(Manifests.Namespace(_ns), "create", "-f", "-");
    }

    public void Dispose()
    {
        _client.Dispose();
        _api.Dispose();
    }

    private string Cm => $"/api/v1/namespaces/{_ns}/configmaps";

    private async Task CreateConfigMaps(IEnumerable<string> names, string? label = null)
    {
        foreach (var name in names)
        {
            var meta = new JsonObject { ["name"] = name };
            if (label is not null)
                meta["labels"] = new JsonObject { ["set"] = label };
            var (status, body) = await _api.Post(Cm, new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = meta, ["data"] = new JsonObject { ["v"] = "1" } });
            Assert.True(status == 201, body.ToJsonString());
        }
    }

    private static List<string> Names(JsonObject list) => list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).ToList();

    private static string? Continue(JsonObject list) => list["metadata"]!["continue"]?.GetValue<string>();

    [Fact]
    public async Task Kubectl_get_with_a_chunk_size_pages_with_continue_tokens_and_prints_every_object()
    {
        var names = Enumerable.Range(1, 5).Select(i => $"cm-{i}").ToList();
        await CreateConfigMaps(names);

        var result = _server.Kubectl.Run("get", "configmaps", "-n", _ns, "--chunk-size=2", "-v=6");
        Assert.True(result.ExitCode == 0, result.ToString());
        var lists = result.Stderr.Split('\n').Where(l => l.Contains($"/namespaces/{_ns}/configmaps?", StringComparison.Ordinal)).ToList();
        Assert.True(lists.Count == 3, string.Join('\n', lists));
        Assert.All(lists, l => Assert.Contains("limit=2", l));
        Assert.Equal(2, lists.Count(l => l.Contains("continue=", StringComparison.Ordinal)));
        foreach (var name in names)
            Assert.Matches($@"(?m)^{name}\s+1\s+\d+s$", result.Stdout);
        Assert.Single(result.Stdout.Split('\n'), l => l.StartsWith("NAME", StringComparison.Ordinal)); // one table, not one per page
    }

    [Fact]
    public async Task The_official_client_pages_through_one_consistent_snapshot_while_objects_change()
    {
        var names = Enumerable.Range(1, 7).Select(i => $"cm-{i}").ToList();
        await CreateConfigMaps(names);

        var first = await _client.CoreV1.ListNamespacedConfigMapAsync(_ns, limit: 3);
        Assert.Equal(["cm-1", "cm-2", "cm-3"], first.Items.Select(c => c.Metadata.Name));
        Assert.Equal(4, first.Metadata.RemainingItemCount);
        Assert.NotNull(first.Metadata.ContinueProperty);

        // Written between the pages: none of it may show in the rest of this list.
        await _client.CoreV1.DeleteNamespacedConfigMapAsync("cm-5", _ns);
        await _client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"v":"changed"}}""", V1Patch.PatchType.MergePatch), "cm-6", _ns);
        await CreateConfigMaps(["cm-4a", "cm-9"]);

        var seen = first.Items.ToList();
        var token = first.Metadata.ContinueProperty;
        while (token is not null)
        {
            var page = await _client.CoreV1.ListNamespacedConfigMapAsync(_ns, limit: 3, continueParameter: token);
            Assert.Equal(first.Metadata.ResourceVersion, page.Metadata.ResourceVersion);
            seen.AddRange(page.Items);
            token = page.Metadata.ContinueProperty;
        }
        Assert.Equal(names, seen.Select(c => c.Metadata.Name));
        Assert.All(seen, c => Assert.Equal("1", c.Data["v"]));

        var now = await _client.CoreV1.ListNamespacedConfigMapAsync(_ns);
        Assert.Equal(["cm-1", "cm-2", "cm-3", "cm-4", "cm-4a", "cm-6", "cm-7", "cm-9"], now.Items.Select(c => c.Metadata.Name));
        Assert.Null(now.Metadata.ContinueProperty);
        Assert.Null(now.Metadata.RemainingItemCount);
    }

    [Fact]
    public async Task Selected_lists_fill_their_pages_from_the_keys_that_follow_and_do_not_count_what_remains()
    {
        await CreateConfigMaps(Enumerable.Range(1, 9).Select(i => $"a-{i}"), label: "odd-even");
        // Every third one is relabelled, so most keys of the prefix do not match.
        for (int i = 1; i <= 9; i += 3)
            await _client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"metadata":{"labels":{"set":"picked"}}}""", V1Patch.PatchType.MergePatch), $"a-{i}", _ns);

        var page = await _api.Get($"{Cm}?labelSelector=set%3Dpicked&limit=2");
        Assert.Equal(200, page.Status);
        Assert.Equal(["a-1", "a-4"], Names(page.Body));
        Assert.Null(page.Body["metadata"]!["remainingItemCount"]);
        var rest = await _api.Get($"{Cm}?labelSelector=set%3Dpicked&limit=2&continue={Continue(page.Body)}");
        Assert.Equal(["a-7"], Names(rest.Body));
        Assert.Null(Continue(rest.Body));
    }

    [Fact]
    public async Task Lists_across_namespaces_and_tables_page_too()
    {
        var label = Guid.NewGuid().ToString("N")[..10];
        await CreateConfigMaps(["x-1", "x-2", "x-3"], label);
        var other = _ns + "b";
        _server.Kubectl.OkWith(Manifests.Namespace(other), "create", "-f", "-");
        var (status, _) = await _api.Post($"/api/v1/namespaces/{other}/configmaps", new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = "x-0", ["labels"] = new JsonObject { ["set"] = label } },
        });
        Assert.Equal(201, status);

        var names = new List<string>();
        string? token = null;
        int pages = 0;
        do
        {
            var (_, table) = await _api.Get($"/api/v1/configmaps?labelSelector=set%3D{label}&limit=3" + (token is null ? "" : $"&continue={token}"),
                accept: "application/json;as=Table;v=v1;g=meta.k8s.io,application/json");
            Assert.Equal("Table", table["kind"]!.GetValue<string>());
            names.AddRange(table["rows"]!.AsArray().Select(r => $"{r!["object"]!["metadata"]!["namespace"]}/{r["cells"]![0]}"));
            token = Continue(table);
            pages++;
        }
        while (token is not null);
        Assert.Equal(2, pages);
        Assert.Equal([$"{_ns}/x-1", $"{_ns}/x-2", $"{_ns}/x-3", $"{other}/x-0"], names);
    }

    [Fact]
    public async Task A_page_whose_snapshot_was_compacted_is_410_with_a_token_that_goes_on_at_the_current_revision()
    {
        await CreateConfigMaps(["c-1", "c-2", "c-3", "c-4"]);
        var (_, first) = await _api.Get($"{Cm}?limit=2");
        await CreateConfigMaps(["c-5"]);
        await _server.Store.CompactAsync(await _server.Store.CurrentRevisionAsync());

        var (status, expired) = await _api.Get($"{Cm}?limit=2&continue={Continue(first)}");
        Assert.Equal(410, status);
        Assert.Equal("Expired", expired["reason"]!.GetValue<string>());
        Assert.StartsWith("The provided continue parameter is too old to display a consistent list result.", expired["message"]!.GetValue<string>());
        var inconsistent = expired["metadata"]!["continue"]!.GetValue<string>();

        var (again, rest) = await _api.Get($"{Cm}?limit=10&continue={inconsistent}");
        Assert.Equal(200, again);
        Assert.Equal(["c-3", "c-4", "c-5"], Names(rest)); // now, so c-5 too

        // The C# client sees the same 410.
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ListNamespacedConfigMapAsync(_ns, limit: 2, continueParameter: Continue(first)));
        Assert.Equal(410, (int)e.Response.StatusCode);
    }

    [Fact]
    public async Task Tokens_that_are_not_the_servers_and_a_resource_version_beside_a_token_are_400()
    {
        await CreateConfigMaps(["t-1", "t-2", "t-3"]);
        var (_, first) = await _api.Get($"{Cm}?limit=1");
        var token = Continue(first)!;
        var (start, revision) = ContinueToken.Decode(token, "/registry/core/configmaps/" + _ns + "/");
        Assert.Equal($"/registry/core/configmaps/{_ns}/t-1\0", start);
        Assert.Equal(first["metadata"]!["resourceVersion"]!.GetValue<string>(), revision.ToString());
        Assert.Equal(2, first["metadata"]!["remainingItemCount"]!.GetValue<long>());

        static string Raw(string json) => Convert.ToBase64String(Encoding.UTF8.GetBytes(json)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        foreach (var (bad, message) in new[]
        {
            ("not-a-token!", "invalid continue token: continue key is not valid"),
            (Raw("""{"v":"meta.k8s.io/v1","rv":5,"start":"../../secrets/kube-system/x"}"""), "continue key is not valid: ../../secrets/kube-system/x"),
            (Raw("""{"v":"meta.k8s.io/v2","rv":5,"start":"a"}"""), "server does not recognize this encoded version"),
            (Raw("""{"v":"meta.k8s.io/v1","rv":0,"start":"a"}"""), "incorrect encoded start resourceVersion"),
        })
        {
            var (status, body) = await _api.Get($"{Cm}?limit=1&continue={bad}");
            Assert.Equal(400, status);
            Assert.Contains(message, body["message"]!.GetValue<string>());
        }
        var (both, refused) = await _api.Get($"{Cm}?limit=1&continue={token}&resourceVersion=5");
        Assert.Equal(400, both);
        Assert.Equal("specifying resource version is not allowed when using continue", refused["message"]!.GetValue<string>());
        Assert.Equal(400, (await _api.Get($"{Cm}?limit=ten")).Status);
        Assert.Equal(3, (await _api.Get($"{Cm}?limit=-1")).Body["items"]!.AsArray().Count); // no limit, as upstream
    }

    [Fact]
    public async Task A_list_at_an_exact_resource_version_is_that_snapshot_and_410_once_compacted()
    {
        await CreateConfigMaps(["e-1"]);
        var (_, then) = await _api.Get(Cm);
        var rv = then["metadata"]!["resourceVersion"]!.GetValue<string>();
        await CreateConfigMaps(["e-2"]);

        var (_, exact) = await _api.Get($"{Cm}?resourceVersion={rv}&resourceVersionMatch=Exact");
        Assert.Equal(["e-1"], Names(exact));
        var (_, legacy) = await _api.Get($"{Cm}?resourceVersion={rv}&limit=5");
        Assert.Equal(["e-1"], Names(legacy));
        var (_, notOlder) = await _api.Get($"{Cm}?resourceVersion={rv}");
        Assert.Equal(["e-1", "e-2"], Names(notOlder));
        var (future, _) = await _api.Get($"{Cm}?resourceVersion={long.Parse(rv) + 1000}");
        Assert.Equal(504, future);

        await _server.Store.CompactAsync(await _server.Store.CurrentRevisionAsync());
        var (gone, status) = await _api.Get($"{Cm}?resourceVersion={rv}&resourceVersionMatch=Exact");
        Assert.Equal(410, gone);
        Assert.Equal("The resourceVersion for the provided list is too old.", status["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Deletecollection_deletes_more_objects_than_one_read_holds()
    {
        var names = Enumerable.Range(0, 520).Select(i => $"d-{i:000}").ToList();
        await Task.WhenAll(names.Chunk(52).Select(chunk => CreateConfigMaps(chunk, label: "bulk")));
        await CreateConfigMaps(["keep"]);

        var (status, deleted) = await _api.Delete($"{Cm}?labelSelector=set%3Dbulk");
        Assert.Equal(200, status);
        Assert.Equal(names, Names(deleted));
        Assert.Equal(["keep"], Names((await _api.Get(Cm)).Body));
    }
}
