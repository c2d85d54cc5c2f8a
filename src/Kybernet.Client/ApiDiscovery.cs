using k8s;
using k8s.Models;

namespace Kybernet.Client;

/// <summary>One resource the server serves, as discovery describes it.</summary>
public sealed record DiscoveredResource(ApiResource Resource, string Kind, IReadOnlyList<string> Verbs)
{
    public bool Can(params string[] verbs) => verbs.All(v => Verbs.Contains(v, StringComparer.Ordinal));
}

/// <summary>
/// What the server serves, read from its discovery documents (/api/v1, /apis, /apis/GROUP/VERSION), as client-go's
/// discovery client does: every top-level resource (subresources such as pods/status are left out) of the core group
/// and of each group's preferred version. Controllers that handle every kind (garbage collection, namespace deletion)
/// work from this, not from a list of their own.
/// </summary>
public static class ApiDiscovery
{
    public static async Task<IReadOnlyList<DiscoveredResource>> ServerResourcesAsync(IKubernetes client, CancellationToken cancellationToken = default)
    {
        var found = new List<DiscoveredResource>();
        Add(found, "", "v1", await client.CoreV1.GetAPIResourcesAsync(cancellationToken));
        var groups = await client.Apis.GetAPIVersionsAsync(cancellationToken);
        foreach (var group in groups.Groups ?? [])
        {
            var version = group.PreferredVersion?.Version ?? group.Versions?.FirstOrDefault()?.Version;
            if (version is null)
                continue;
            // The custom-objects path reaches any group's /apis/GROUP/VERSION.
            Add(found, group.Name, version, await client.CustomObjects.GetAPIResourcesAsync(group.Name, version, cancellationToken));
        }
        return found;
    }

    private static void Add(List<DiscoveredResource> found, string group, string version, V1APIResourceList list)
    {
        foreach (var r in list.Resources ?? [])
        {
            if (r.Name.Contains('/'))
                continue; // a subresource
            found.Add(new DiscoveredResource(new ApiResource(group, version, r.Name, r.Namespaced), r.Kind, [.. r.Verbs ?? []]));
        }
    }
}
