namespace Kybernet.OfficialClient.Tests;

/// <summary>The client's typed watch: every change, in order, from the revision of a list.</summary>
public sealed class WatchTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_watch_from_a_lists_revision_sees_add_modify_and_delete_in_order()
    {
        using var client = OfficialClient.Admin(server);
        var ns = await OfficialClient.NewNamespaceAsync(client, "watch");
        var list = await client.CoreV1.ListNamespacedConfigMapAsync(ns);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));

        var events = new List<(WatchEventType Type, string Name, string? Value)>();
        var watching = Task.Run(async () =>
        {
            await foreach (var (type, cm) in client.CoreV1.WatchListNamespacedConfigMapAsync(ns, resourceVersion: list.Metadata.ResourceVersion, cancellationToken: cts.Token))
            {
                events.Add((type, cm.Metadata.Name, cm.Data is { } data && data.TryGetValue("k", out var v) ? v : null));
                if (type == WatchEventType.Deleted)
                    return;
            }
        }, cts.Token);

        var made = await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "w" }, Data = new Dictionary<string, string> { ["k"] = "1" } }, ns);
        made.Data["k"] = "2";
        await client.CoreV1.ReplaceNamespacedConfigMapAsync(made, "w", ns);
        await client.CoreV1.DeleteNamespacedConfigMapAsync("w", ns);
        await watching;

        Assert.Equal([(WatchEventType.Added, "w", "1"), (WatchEventType.Modified, "w", "2"), (WatchEventType.Deleted, "w", "2")], events);
    }
}
