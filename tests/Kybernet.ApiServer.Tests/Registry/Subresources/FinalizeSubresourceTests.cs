using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Tests.Registry.Subresources;

/// <summary>namespaces/NAME/finalize over HTTP, as upstream's namespace controller uses it.</summary>
public sealed class FinalizeSubresourceTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly ApiClient _api = new(server.DataDirectory, server.Server.Url);

    public void Dispose() => _api.Dispose();

    private static List<string?> Finalizers(JsonObject ns, string where) =>
        (ns[where]?["finalizers"] as JsonArray ?? []).Select(f => f?.GetValue<string>()).ToList();

    [Fact]
    public async Task A_put_of_finalize_changes_only_spec_finalizers_and_a_finalized_terminating_namespace_goes()
    {
        var path = "/api/v1/namespaces/fin-a";
        // Held by a metadata finalizer too, so it stays until the test lets it go.
        var (created, ns) = await _api.Post("/api/v1/namespaces", JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Namespace","metadata":{"name":"fin-a","finalizers":["example.com/hold"]}}
            """)!);
        Assert.Equal(201, created);
        Assert.Equal(["kubernetes"], Finalizers(ns, "spec"));

        // The main resource keeps spec.finalizers.
        ns["spec"]!["finalizers"] = new JsonArray();
        var (updated, kept) = await _api.Put(path, ns);
        Assert.Equal(200, updated);
        Assert.Equal(["kubernetes"], Finalizers(kept, "spec"));

        // finalize changes them, and nothing else of what it is sent.
        var written = (JsonObject)kept.DeepClone();
        written["spec"]!["finalizers"] = new JsonArray("kubernetes", "example.com/other");
        written["metadata"]!["labels"] = new JsonObject { ["sneaky"] = "yes" };
        written["status"] = new JsonObject { ["phase"] = "Terminating" };
        var (finalized, body) = await _api.Put($"{path}/finalize", written);
        Assert.Equal(200, finalized);
        Assert.Equal(["kubernetes", "example.com/other"], Finalizers(body, "spec"));
        Assert.Null(body["metadata"]!["labels"]!["sneaky"]);
        Assert.Equal("Active", body["status"]!["phase"]!.GetValue<string>());

        // It serves update only.
        Assert.Equal(405, (await _api.Get($"{path}/finalize")).Status);
        Assert.Equal(405, (await _api.Send(HttpMethod.Patch, $"{path}/finalize", new JsonObject(), "application/merge-patch+json")).Status);

        // Deleted: Terminating, held by its finalizers; deleting it again changes nothing.
        var (deleted, terminating) = await _api.Delete(path);
        Assert.Equal(200, deleted);
        Assert.Equal("Terminating", terminating["status"]!["phase"]!.GetValue<string>());
        Assert.Equal(200, (await _api.Delete(path)).Status);
        Assert.Equal(200, (await _api.Get(path)).Status);

        // The namespace controller empties it and removes its own spec finalizer, "kubernetes", and only that one.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonObject held;
        while (Finalizers(held = (await _api.Get(path)).Body, "spec").Contains("kubernetes"))
        {
            if (DateTime.UtcNow > deadline)
                throw new Xunit.Sdk.XunitException($"the namespace was never finalized: {held.ToJsonString()}");
            await Task.Delay(20);
        }
        Assert.Equal(["example.com/other"], Finalizers(held, "spec"));
        Assert.Equal(200, (await _api.Get(path)).Status);

        // The other party finalizes too: no spec.finalizers left, yet the metadata finalizer still holds it.
        held["spec"]!["finalizers"] = new JsonArray();
        Assert.Equal(200, (await _api.Put($"{path}/finalize", held)).Status);
        held = (await _api.Get(path)).Body;
        Assert.Empty(Finalizers(held, "spec"));
        Assert.Equal(["example.com/hold"], Finalizers(held, "metadata"));
        Assert.Equal(200, (await _api.Delete(path)).Status);
        Assert.Equal(200, (await _api.Get(path)).Status);

        // The last finalizer removed: the write that removes it lets the namespace go.
        var (patched, _) = await _api.Send(HttpMethod.Patch, path, JsonNode.Parse("""{"metadata":{"finalizers":null}}"""), "application/merge-patch+json");
        Assert.Equal(200, patched);
        Assert.Equal(404, (await _api.Get(path)).Status);
    }

    [Fact]
    public async Task Subresources_a_kind_does_not_have_are_not_found_and_verbs_they_lack_not_allowed()
    {
        Assert.Equal(201, (await _api.Post("/api/v1/namespaces/default/configmaps", JsonNode.Parse("""
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"no-status"}}
            """)!)).Status);
        Assert.Equal(404, (await _api.Get("/api/v1/namespaces/default/configmaps/no-status/status")).Status);
        Assert.Equal(405, (await _api.Delete("/api/v1/namespaces/default/services/kubernetes/status")).Status);
        Assert.Equal(200, (await _api.Get("/api/v1/namespaces/default/services/kubernetes")).Status);
    }
}
