using System.Text.Json.Nodes;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Admission;

/// <summary>
/// Server-side defaults, the ones upstream sets and `kubectl describe` shows: a pod's restart and DNS
/// policies, a container's pull policy, a service's type and port protocol, a deployment's strategy.
/// Only fields the client left out are filled.
/// </summary>
public static class Defaulter
{
    public static void Apply(ResourceDefinition r, JsonObject obj)
    {
        switch (r.Kind)
        {
            case "Pod":
                if (obj["spec"] is JsonObject podSpec) PodSpec(podSpec);
                break;
            case "Deployment" or "ReplicaSet" or "ReplicationController":
                Workload(r.Kind, obj);
                break;
            case "Service":
                if (obj["spec"] is JsonObject svc) Service(svc);
                break;
            case "Namespace":
                Set(Object(obj, "spec"), "finalizers", () => new JsonArray("kubernetes"));
                break;
            case "Secret":
                Set(obj, "type", () => "Opaque");
                FoldStringData(obj);
                break;
        }
    }

    /// <summary>A secret's stringData is write-only convenience: it is stored base64-encoded in data.</summary>
    private static void FoldStringData(JsonObject secret)
    {
        if (secret["stringData"] is not JsonObject strings)
            return;
        var data = Object(secret, "data");
        foreach (var (key, value) in strings)
            data[key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(ObjectMeta.Str(value) ?? ""));
        secret.Remove("stringData");
    }

    private static void Workload(string kind, JsonObject obj)
    {
        var spec = Object(obj, "spec");
        Set(spec, "replicas", () => 1);
        if (spec["template"] is JsonObject template)
        {
            if (template["spec"] is JsonObject podSpec) PodSpec(podSpec);
            // A selector left out selects the template's labels (what RCs have always done).
            if (kind == "ReplicationController" && spec["selector"] is null && template["metadata"]?["labels"] is JsonObject labels)
                spec["selector"] = labels.DeepClone();
        }
        if (kind == "Deployment")
        {
            Set(spec, "strategy", () => new JsonObject
            {
                ["type"] = "RollingUpdate",
                ["rollingUpdate"] = new JsonObject { ["maxUnavailable"] = "25%", ["maxSurge"] = "25%" },
            });
            Set(spec, "revisionHistoryLimit", () => 10);
            Set(spec, "progressDeadlineSeconds", () => 600);
        }
    }

    private static void PodSpec(JsonObject spec)
    {
        Set(spec, "restartPolicy", () => "Always");
        Set(spec, "dnsPolicy", () => "ClusterFirst");
        Set(spec, "terminationGracePeriodSeconds", () => 30);
        Set(spec, "schedulerName", () => "default-scheduler");
        Set(spec, "securityContext", () => new JsonObject());
        foreach (var list in new[] { "containers", "initContainers" })
            if (spec[list] is JsonArray containers)
                foreach (var c in containers.OfType<JsonObject>())
                    Container(c);
    }

    private static void Container(JsonObject c)
    {
        var image = ObjectMeta.Str(c["image"]) ?? "";
        // Upstream: Always for :latest or no tag, else IfNotPresent.
        bool latest = !image.Contains(':') || image.EndsWith(":latest", StringComparison.Ordinal);
        Set(c, "imagePullPolicy", () => latest ? "Always" : "IfNotPresent");
        Set(c, "terminationMessagePath", () => "/dev/termination-log");
        Set(c, "terminationMessagePolicy", () => "File");
        Set(c, "resources", () => new JsonObject());
        if (c["ports"] is JsonArray ports)
            foreach (var p in ports.OfType<JsonObject>())
                Set(p, "protocol", () => "TCP");
    }

    private static void Service(JsonObject spec)
    {
        Set(spec, "type", () => "ClusterIP");
        Set(spec, "sessionAffinity", () => "None");
        if (spec["ports"] is JsonArray ports)
            foreach (var p in ports.OfType<JsonObject>())
            {
                Set(p, "protocol", () => "TCP");
                if (p["port"] is JsonNode port)
                    Set(p, "targetPort", () => port.DeepClone());
            }
    }

    private static JsonObject Object(JsonObject parent, string field)
    {
        if (parent[field] is JsonObject o)
            return o;
        o = new JsonObject();
        parent[field] = o;
        return o;
    }

    private static void Set(JsonObject obj, string field, Func<JsonNode> value)
    {
        if (obj[field] is null)
            obj[field] = value();
    }
}
