using System.Text.Json.Nodes;
using Kybernet.ApiServer.Resources;
using Microsoft.AspNetCore.Http;

namespace Kybernet.ApiServer.Http;

/// <summary>
/// /api, /apis and each group-version's resource list, in both forms kubectl reads: aggregated
/// discovery v2 (asked for first, and only understood with its exact parameterised Content-Type)
/// and the legacy APIVersions / APIGroupList / APIResourceList documents. Each resource's
/// subresources are the ones its strategy has, with their own kind and verbs.
/// </summary>
public sealed class Discovery(ResourceCatalog catalog)
{
    public const string AggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

    private static bool WantsAggregated(HttpContext context) =>
        context.Request.Headers.Accept.ToString().Split(',').FirstOrDefault()?.Replace(" ", "")
            .Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal) == true
        && context.Request.Headers.Accept.ToString().Contains("v=v2", StringComparison.Ordinal);

    /// <summary>GET /api</summary>
    public Task Core(HttpContext context) =>
        WantsAggregated(context)
            ? JsonResponses.Write(context, 200, Aggregated([""]), AggregatedContentType)
            : JsonResponses.Write(context, 200, new JsonObject
            {
                ["kind"] = "APIVersions",
                ["versions"] = new JsonArray("v1"),
                ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = context.Request.Host.ToString() }),
            });

    /// <summary>GET /apis</summary>
    public Task Groups(HttpContext context) =>
        WantsAggregated(context)
            ? JsonResponses.Write(context, 200, Aggregated(catalog.Groups.ToList()), AggregatedContentType)
            : JsonResponses.Write(context, 200, new JsonObject
            {
                ["kind"] = "APIGroupList",
                ["apiVersion"] = "v1",
                ["groups"] = new JsonArray(catalog.Groups.Select(g => (JsonNode?)Group(g)).ToArray()),
            });

    /// <summary>GET /apis/GROUP</summary>
    public Task OneGroup(HttpContext context, string group) =>
        catalog.Groups.Contains(group)
            ? JsonResponses.Write(context, 200, Group(group).Also(o => { o["kind"] = "APIGroup"; o["apiVersion"] = "v1"; }))
            : throw new ApiException(404, "NotFound", "the server could not find the requested resource");

    /// <summary>GET /api/v1 or /apis/GROUP/VERSION</summary>
    public Task Resources(HttpContext context, string group, string version)
    {
        var resources = catalog.InGroupVersion(group, version).ToList();
        if (resources.Count == 0)
            throw new ApiException(404, "NotFound", "the server could not find the requested resource");
        var list = new JsonArray();
        foreach (var r in resources)
        {
            list.Add(Resource(r.Resource, r.Singular, r.Namespaced, r.Kind, r.Verbs, r.ShortNames, r.Categories));
            foreach (var sub in catalog.StrategyFor(r).Subresources)
            {
                // A subresource of another group's kind (autoscaling/v1 Scale) names that group and version.
                var kind = sub.ResponseKind;
                bool foreign = kind.Group != r.Group || kind.Version != r.Version;
                list.Add(Resource($"{r.Resource}/{sub.Name}", "", r.Namespaced, kind.Kind, sub.Verbs, [], [],
                    foreign ? kind.Group : null, foreign ? kind.Version : null));
            }
        }
        return JsonResponses.Write(context, 200, new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = list,
        });
    }

    private static JsonObject Resource(string name, string singular, bool namespaced, string kind, IReadOnlyList<string> verbs,
        IReadOnlyList<string> shortNames, IReadOnlyList<string> categories, string? group = null, string? version = null)
    {
        var o = new JsonObject
        {
            ["name"] = name,
            ["singularName"] = singular,
            ["namespaced"] = namespaced,
            ["kind"] = kind,
            ["verbs"] = Strings(verbs),
        };
        if (group is not null) { o["group"] = group; o["version"] = version; }
        if (shortNames.Count > 0) o["shortNames"] = Strings(shortNames);
        if (categories.Count > 0) o["categories"] = Strings(categories);
        return o;
    }

    /// <summary>A group with its versions, the first one preferred (autoscaling: v2, then v1).</summary>
    private JsonObject Group(string group) => new()
    {
        ["name"] = group,
        ["versions"] = new JsonArray(catalog.Versions(group).Select(v => (JsonNode?)new JsonObject { ["groupVersion"] = $"{group}/{v}", ["version"] = v }).ToArray()),
        ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{group}/{catalog.Versions(group)[0]}", ["version"] = catalog.Versions(group)[0] },
    };

    /// <summary>An APIGroupDiscoveryList for the given groups ("" is the core group).</summary>
    private JsonObject Aggregated(IReadOnlyList<string> groups) => new()
    {
        ["kind"] = "APIGroupDiscoveryList",
        ["apiVersion"] = "apidiscovery.k8s.io/v2",
        ["metadata"] = new JsonObject(),
        ["items"] = new JsonArray(groups.Select(g => (JsonNode?)new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = g, ["creationTimestamp"] = null },
            ["versions"] = new JsonArray(catalog.Versions(g).Select(v => (JsonNode?)new JsonObject
            {
                ["version"] = v,
                ["freshness"] = "Current",
                ["resources"] = new JsonArray(catalog.InGroupVersion(g, v).Select(r => (JsonNode?)AggregatedResource(r)).ToArray()),
            }).ToArray()),
        }).ToArray()),
    };

    private JsonObject AggregatedResource(ResourceDefinition r)
    {
        var o = new JsonObject
        {
            ["resource"] = r.Resource,
            ["responseKind"] = new JsonObject { ["group"] = r.Group, ["version"] = r.Version, ["kind"] = r.Kind },
            ["scope"] = r.Namespaced ? "Namespaced" : "Cluster",
            ["singularResource"] = r.Singular,
            ["verbs"] = Strings(r.Verbs),
        };
        if (r.ShortNames.Count > 0) o["shortNames"] = Strings(r.ShortNames);
        if (r.Categories.Count > 0) o["categories"] = Strings(r.Categories);
        var subresources = new JsonArray();
        foreach (var sub in catalog.StrategyFor(r).Subresources)
            subresources.Add(new JsonObject
            {
                ["subresource"] = sub.Name,
                ["responseKind"] = new JsonObject { ["group"] = sub.ResponseKind.Group, ["version"] = sub.ResponseKind.Version, ["kind"] = sub.ResponseKind.Kind },
                ["verbs"] = Strings(sub.Verbs),
            });
        if (subresources.Count > 0) o["subresources"] = subresources;
        return o;
    }

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)v).ToArray());
}

internal static class JsonObjectExtensions
{
    public static JsonObject Also(this JsonObject o, Action<JsonObject> change)
    {
        change(o);
        return o;
    }
}
