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
    public static JsonObject ForList(ResourceDefinition r, IEnumerable<JsonObject> items, long revision) =>
        Table(r, items, revision.ToString());

    public static JsonObject ForObject(ResourceDefinition r, JsonObject obj) =>
        Table(r, [obj], obj["metadata"]?["resourceVersion"]?.GetValue<string>() ?? "");

    private static JsonObject Table(ResourceDefinition r, IEnumerable<JsonObject> items, string revision)
    {
        var columns = Columns.For(r.Kind);
        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = revision },
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
