using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Kybernet.ApiServer.Registry.Subresources;

/// <summary>
/// pods/NAME/binding (and the core/v1 bindings resource, which does the same): assigns a pod to a
/// node, once. A Binding names the node in its target; a pod already bound, or being deleted, is a
/// 409 Conflict, as upstream. The pod's PodScheduled condition becomes True, and the Binding's
/// annotations are added to the pod's.
/// </summary>
public sealed class BindingSubresource(PodStrategy pods) : ActionSubresource
{
    public override string Name => "binding";

    public override GroupVersionKind ResponseKind { get; } = new("", "v1", "Binding");

    public override async Task<(int Status, JsonObject Body)> PostAsync(ActionRequest request, CancellationToken cancellationToken)
    {
        var registry = request.Services.GetRequiredService<ResourceRegistry>();
        return (201, await BindAsync(registry, pods, request.Namespace!, request.Name, request.Body, request.DryRun, cancellationToken));
    }

    /// <summary>Binds the pod <paramref name="name"/> as <paramref name="binding"/> says; answers the Status of success.</summary>
    public static async Task<JsonObject> BindAsync(ResourceRegistry registry, PodStrategy pods, string ns, string name, JsonObject binding, bool dryRun, CancellationToken ct)
    {
        if (ObjectMeta.Name(binding) is { Length: > 0 } bodyName && bodyName != name)
            throw ApiException.BadRequest("name in URL does not match name in Binding object");
        var node = ObjectMeta.Str(binding["target"]?["name"]);
        var kind = ObjectMeta.Str(binding["target"]?["kind"]);
        var causes = new List<StatusCause>();
        if (string.IsNullOrEmpty(node))
            causes.Add(Causes.Required("target.name"));
        if (kind is { Length: > 0 } && kind != "Node")
            causes.Add(Causes.NotSupported("target.kind", kind, ["Node"]));
        if (causes.Count > 0)
            throw ApiException.Invalid("Binding", name, "", causes);

        var r = pods.Resource;
        for (int attempt = 0; ; attempt++)
        {
            var current = await registry.GetAsync(r, ns, name, ct);
            if (ObjectMeta.IsDeleting(current))
                throw Conflict(name, $"pod {name} is being deleted, cannot be assigned to a host");
            if (ObjectMeta.Str(current["spec"]?["nodeName"]) is { Length: > 0 } bound)
                throw Conflict(name, $"pod {name} is already assigned to node \"{bound}\"");
            var next = (JsonObject)current.DeepClone();
            Defaults.Object(next, "spec")["nodeName"] = node;
            if (binding["metadata"]?["annotations"] is JsonObject annotations)
                foreach (var (key, value) in annotations)
                    Defaults.Object(ObjectMeta.Metadata(next), "annotations")[key] = value?.DeepClone();
            SetScheduled(Defaults.Object(next, "status"));
            try
            {
                await registry.UpdateAsync(pods, ns, name, current, next, dryRun, ct);
                return new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success", ["code"] = 201 };
            }
            catch (ApiException e) when (e.Reason == "Conflict" && attempt < 5)
            {
                // The pod changed between our read and our write (a status update): decide again on the new state.
            }
        }
    }

    private static ApiException Conflict(string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on pods/binding \"{name}\": {why}", name, "", "pods/binding");

    private static void SetScheduled(JsonObject status)
    {
        var conditions = status["conditions"] as JsonArray ?? [];
        status["conditions"] = conditions;
        if (conditions.OfType<JsonObject>().FirstOrDefault(c => ObjectMeta.Str(c["type"]) == "PodScheduled") is { } scheduled)
            conditions.Remove(scheduled);
        conditions.Add(new JsonObject { ["type"] = "PodScheduled", ["status"] = "True", ["lastProbeTime"] = null, ["lastTransitionTime"] = ObjectMeta.Now() });
    }
}
