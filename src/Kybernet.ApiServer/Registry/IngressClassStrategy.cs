using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>networking.k8s.io/v1 IngressClasses (cluster-wide): a controller name, fixed once created.</summary>
public sealed class IngressClassStrategy() : ResourceStrategy(ResourceDefinition.Grouped("networking.k8s.io", "IngressClass", "ingressclasses", "ingressclass", namespaced: false))
{
    protected override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        if (string.IsNullOrEmpty(ObjectMeta.Str(obj["spec"]?["controller"])))
            causes.Add(Causes.Required("spec.controller"));
    }

    protected override void ValidateChange(JsonObject next, JsonObject current, List<StatusCause> causes)
    {
        var controller = ObjectMeta.Str(next["spec"]?["controller"]);
        if (controller != ObjectMeta.Str(current["spec"]?["controller"]))
            causes.Add(Causes.Immutable("spec.controller", controller ?? ""));
    }
}
