using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Admission;

/// <summary>
/// Upstream's DefaultTolerationSeconds admission: a new pod that does not already tolerate the NoExecute taints the node
/// lifecycle controller puts on a lost node (node.kubernetes.io/not-ready and node.kubernetes.io/unreachable) gets a
/// toleration of each for 300 s, so its pods are evicted (and replaced elsewhere) five minutes after the node is lost,
/// not at once. A toleration with an empty key (Exists) or an empty effect counts as tolerating already, as upstream
/// reckons it. Pods only, on create and on update (as upstream: so a `kubectl replace` with the original manifest does
/// not read as removing them); pod templates are left as they are.
/// </summary>
public static class DefaultTolerationSeconds
{
    public const string NotReadyTaint = "node.kubernetes.io/not-ready";
    public const string UnreachableTaint = "node.kubernetes.io/unreachable";

    /// <summary>Upstream's --default-not-ready-toleration-seconds and --default-unreachable-toleration-seconds.</summary>
    public const long Seconds = 300;

    public static void Apply(JsonObject spec)
    {
        var tolerations = spec["tolerations"] as JsonArray;
        foreach (var key in new[] { NotReadyTaint, UnreachableTaint })
        {
            if (tolerations?.OfType<JsonObject>().Any(t => Covers(t, key)) == true)
                continue;
            if (tolerations is null)
            {
                tolerations = [];
                spec["tolerations"] = tolerations;
            }
            tolerations.Add(new JsonObject
            {
                ["key"] = key,
                ["operator"] = "Exists",
                ["effect"] = "NoExecute",
                ["tolerationSeconds"] = Seconds,
            });
        }
    }

    /// <summary>Whether the toleration already speaks for the NoExecute taint <paramref name="key"/> (upstream's test: key and effect, each matching or empty).</summary>
    private static bool Covers(JsonObject toleration, string key)
    {
        var tolerated = ObjectMeta.Str(toleration["key"]);
        return (string.IsNullOrEmpty(tolerated) || tolerated == key) && ObjectMeta.Str(toleration["effect"]) is null or "" or "NoExecute";
    }
}
