using System.Text.Json.Nodes;
using Kybernet.Api.Names;
using Kybernet.ApiServer.Http;

namespace Kybernet.ApiServer.Admission;

/// <summary>
/// A pod spec's defaults and checks, shared by Pods and by the pod templates of Deployments,
/// ReplicaSets and ReplicationControllers (upstream defaults and validates both with the same code).
/// </summary>
public static class PodSpecs
{
    /// <summary>Upstream's defaults that `kubectl describe` shows: restart and DNS policies, grace period, scheduler, pull policy, port protocol.</summary>
    public static void Default(JsonObject spec)
    {
        Defaults.Set(spec, "restartPolicy", () => "Always");
        Defaults.Set(spec, "dnsPolicy", () => "ClusterFirst");
        Defaults.Set(spec, "terminationGracePeriodSeconds", () => 30);
        Defaults.Set(spec, "schedulerName", () => "default-scheduler");
        Defaults.Set(spec, "securityContext", () => new JsonObject());
        foreach (var list in new[] { "containers", "initContainers" })
            if (spec[list] is JsonArray containers)
                foreach (var c in containers.OfType<JsonObject>())
                    DefaultContainer(c);
    }

    private static void DefaultContainer(JsonObject c)
    {
        var image = ObjectMeta.Str(c["image"]) ?? "";
        // Upstream: Always for :latest or no tag, else IfNotPresent.
        bool latest = !image.Contains(':') || image.EndsWith(":latest", StringComparison.Ordinal);
        Defaults.Set(c, "imagePullPolicy", () => latest ? "Always" : "IfNotPresent");
        Defaults.Set(c, "terminationMessagePath", () => "/dev/termination-log");
        Defaults.Set(c, "terminationMessagePolicy", () => "File");
        Defaults.Set(c, "resources", () => new JsonObject());
        if (c["ports"] is JsonArray ports)
            foreach (var p in ports.OfType<JsonObject>())
                Defaults.Set(p, "protocol", () => "TCP");
    }

    /// <summary>At least one container, each with a unique DNS-label name, an image, and valid container ports.</summary>
    public static void Validate(JsonObject? spec, string path, List<StatusCause> causes)
    {
        if (spec?["containers"] is not JsonArray { Count: > 0 } containers)
        {
            causes.Add(Causes.Required($"{path}.containers"));
            return;
        }
        var names = new HashSet<string>();
        for (int i = 0; i < containers.Count; i++)
        {
            var c = containers[i] as JsonObject;
            var at = $"{path}.containers[{i}]";
            var name = ObjectMeta.Str(c?["name"]);
            if (string.IsNullOrEmpty(name))
                causes.Add(Causes.Required($"{at}.name"));
            else
            {
                causes.AddRange(NameValidation.IsDns1123Label(name).Select(p => Causes.Invalid($"{at}.name", name, p)));
                if (!names.Add(name))
                    causes.Add(Causes.Duplicate($"{at}.name", name));
            }
            if (string.IsNullOrWhiteSpace(ObjectMeta.Str(c?["image"])))
                causes.Add(Causes.Required($"{at}.image"));
            if (c?["ports"] is JsonArray ports)
                for (int p = 0; p < ports.Count; p++)
                    CommonValidation.Port(ports[p]?["containerPort"], $"{at}.ports[{p}].containerPort", causes);
        }
    }
}
