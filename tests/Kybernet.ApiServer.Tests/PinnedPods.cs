using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Tests;

/// <summary>Pods the scheduler leaves alone, on the node a test names (or none), for subresources that go to a node.</summary>
public static class PinnedPods
{
    public static JsonObject Pod(string name, string? nodeName, params string[] containers) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = new JsonObject
        {
            ["schedulerName"] = "nobody", // left alone by the scheduler: it stays where the test puts it
            ["nodeName"] = nodeName,
            ["containers"] = new JsonArray(containers.Select(c => (JsonNode)new JsonObject { ["name"] = c, ["image"] = "busybox" }).ToArray()),
        },
    };
}
