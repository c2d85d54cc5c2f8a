using System.Text.Json.Nodes;
using Kybernet.ApiServer.Http;

namespace Kybernet.ApiServer.Admission;

/// <summary>The pod template checks the batch and apps kinds add to a pod spec's: which restart policies each allows.</summary>
public static class PodTemplates
{
    /// <summary>
    /// The template's spec is a valid pod spec whose restartPolicy is one of <paramref name="allowed"/>
    /// (Jobs: OnFailure or Never; DaemonSets and StatefulSets: Always), worded as upstream's NotSupported.
    /// </summary>
    public static void Validate(JsonObject? template, string path, IReadOnlyList<string> allowed, List<StatusCause> causes)
    {
        if (template is null)
        {
            causes.Add(Causes.Required(path));
            return;
        }
        var spec = template["spec"] as JsonObject;
        PodSpecs.Validate(spec, $"{path}.spec", causes);
        var policy = ObjectMeta.Str(spec?["restartPolicy"]);
        if (policy is null)
            causes.Add(Causes.Required($"{path}.spec.restartPolicy", $"Required value: valid values: {string.Join(", ", allowed.Select(a => $"\"{a}\""))}"));
        else if (!allowed.Contains(policy))
            causes.Add(Causes.NotSupported($"{path}.spec.restartPolicy", policy, allowed));
    }

    /// <summary>The template's spec gets a pod spec's defaults.</summary>
    public static void Default(JsonNode? template)
    {
        if (template?["spec"] is JsonObject spec)
            PodSpecs.Default(spec);
    }
}
