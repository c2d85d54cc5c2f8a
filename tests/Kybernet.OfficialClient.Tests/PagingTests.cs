namespace Kybernet.OfficialClient.Tests;

/// <summary>The client's lists with limit and continue, page after page, as its pagers and informers use them.</summary>
public sealed class PagingTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_list_with_a_limit_is_read_page_by_page_with_continue_tokens()
    {
        using var client = OfficialClient.Admin(server);
        var ns = await OfficialClient.NewNamespaceAsync(client, "paging");
        var names = Enumerable.Range(0, 7).Select(i => $"cm-{i}").ToList();
        foreach (var name in names)
            await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = name } }, ns);

        var seen = new List<string>();
        var pages = new List<V1ConfigMapList>();
        string? next = null;
        do
        {
            var page = await client.CoreV1.ListNamespacedConfigMapAsync(ns, limit: 3, continueParameter: next);
            pages.Add(page);
            seen.AddRange(page.Items.Select(c => c.Metadata.Name));
            next = page.Metadata.ContinueProperty;
            // Objects created between pages are not in the snapshot being read.
            if (pages.Count == 1)
                await client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "cm-late" } }, ns);
        }
        while (!string.IsNullOrEmpty(next));

        Assert.Equal([3, 3, 1], pages.Select(p => p.Items.Count));
        Assert.Equal(names, seen);
        Assert.Equal(4, pages[0].Metadata.RemainingItemCount);
        Assert.Equal(1, pages[1].Metadata.RemainingItemCount);
        Assert.Null(pages[2].Metadata.RemainingItemCount);
        // Every page is read at the revision of the first one.
        Assert.Single(pages.Select(p => p.Metadata.ResourceVersion).Distinct());
    }

    [Fact]
    public async Task A_continue_token_that_is_not_one_is_a_bad_request()
    {
        using var client = OfficialClient.Admin(server);
        var error = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(
            () => client.CoreV1.ListNamespacedConfigMapAsync("default", limit: 1, continueParameter: "not-a-token"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, error.Response.StatusCode);
    }
}
