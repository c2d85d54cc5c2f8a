using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Http;

/// <summary>
/// What a resource URL names: the resource, maybe a namespace, maybe an object and a subresource.
/// /api/v1/namespaces/default/pods/web/status -> (pods, "default", "web", "status").
/// </summary>
public sealed record RequestTarget(ResourceDefinition Resource, string? Namespace, string? Name, string? Subresource)
{
    /// <summary>
    /// Parses the segments after /api/VERSION or /apis/GROUP/VERSION. Returns null for a URL that
    /// names no resource (the caller answers 404).
    /// </summary>
    public static RequestTarget? Parse(ResourceCatalog catalog, string group, string version, IReadOnlyList<string> segments)
    {
        ResourceDefinition? Find(string resource) => catalog.Find(group, version, resource);

        // namespaces/NS/RESOURCE[/NAME[/SUB]] is a namespaced resource; namespaces/NAME[/SUB] the namespace itself.
        if (segments.Count >= 3 && segments[0] == "namespaces" && Find(segments[2]) is { Namespaced: true } scoped)
            return segments.Count switch
            {
                3 => new(scoped, segments[1], null, null),
                4 => new(scoped, segments[1], segments[3], null),
                5 => new(scoped, segments[1], segments[3], segments[4]),
                > 5 when segments[4] == "proxy" => new(scoped, segments[1], segments[3], "proxy"), // the rest is the proxied path
                _ => null,
            };
        if (segments.Count == 0 || Find(segments[0]) is not { } resource)
            return null;
        return segments.Count switch
        {
            1 => new(resource, null, null, null),
            2 => new(resource, null, segments[1], null),
            3 => new(resource, null, segments[1], segments[2]),
            > 3 when segments[2] == "proxy" => new(resource, null, segments[1], "proxy"),
            _ => null,
        };
    }
}
