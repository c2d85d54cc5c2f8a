using System.Text.Json.Nodes;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Tables;

/// <summary>
/// meta.k8s.io/v1 Tables, which kubectl get prints as they are: the upstream columns of each kind
/// (priority 1 ones only with -o wide), one row per object, each row carrying the object's
/// metadata (for NAMESPACE with -A, --show-labels and -L).
/// </summary>
public static class TableWriter
{
    /// <summary>A page of a list as a Table; <paramref name="listMeta"/> is the list's (resourceVersion, continue, remainingItemCount).</summary>
    public static JsonObject ForList(ResourceDefinition r, IEnumerable<JsonObject> items, JsonObject listMeta) =>
        Table(r, items, listMeta);

    public static JsonObject ForObject(ResourceDefinition r, JsonObject obj) =>
        Table(r, [obj], new JsonObject { ["resourceVersion"] = obj["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "" });

    private static JsonObject Table(ResourceDefinition r, IEnumerable<JsonObject> items, JsonObject listMeta)
    {
        var columns = Columns.For(r.Kind);
        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = listMeta,
            ["columnDefinitions"] = new JsonArray(columns.Select(c => (JsonNode?)new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type,
                ["format"] = c.Format,
                ["description"] = c.Description,
                ["priority"] = c.Priority,
            }).ToArray()),
            ["rows"] = new JsonArray(items.Select(item => (JsonNode?)new JsonObject
            {
                ["cells"] = new JsonArray(columns.Select(c => c.Cell(item)).ToArray()),
                ["object"] = new JsonObject
                {
                    ["kind"] = "PartialObjectMetadata",
                    ["apiVersion"] = "meta.k8s.io/v1",
                    ["metadata"] = item["metadata"]?.DeepClone(),
                },
            }).ToArray()),
        };
    }
}
