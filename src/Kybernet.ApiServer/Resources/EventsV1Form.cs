using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Resources;

/// <summary>
/// events.k8s.io/v1 Events are the core/v1 Events, stored once in core's form (upstream keeps one
/// storage for both). The fields renamed in events.k8s.io are converted both ways; the rest is the same.
/// </summary>
public sealed class EventsV1Form : IStoredForm
{
    /// <summary>(events.k8s.io/v1 name, core/v1 name) of each renamed field.</summary>
    private static readonly (string Served, string Stored)[] Renamed =
    [
        ("note", "message"),
        ("regarding", "involvedObject"),
        ("deprecatedSource", "source"),
        ("deprecatedFirstTimestamp", "firstTimestamp"),
        ("deprecatedLastTimestamp", "lastTimestamp"),
        ("deprecatedCount", "count"),
        ("reportingController", "reportingComponent"),
    ];

    public static ResourceDefinition Resource { get; } = ResourceDefinition.Grouped("events.k8s.io", "Event", "events", "event", shortNames: ["ev"]) with
    {
        Storage = new StoredAs("core", "events", new EventsV1Form()),
    };

    public JsonObject ToStored(JsonObject served) => Convert(served, "v1", s => s.Served, s => s.Stored);

    public JsonObject FromStored(JsonObject stored) => Convert(stored, "events.k8s.io/v1", s => s.Stored, s => s.Served);

    private static JsonObject Convert(JsonObject source, string apiVersion, Func<(string Served, string Stored), string> from, Func<(string Served, string Stored), string> to)
    {
        var result = new JsonObject();
        var renames = Renamed.ToDictionary(from, to);
        foreach (var (key, value) in source)
            result[renames.GetValueOrDefault(key, key)] = value?.DeepClone();
        result["apiVersion"] = apiVersion;
        result["kind"] = "Event";
        return result;
    }
}
