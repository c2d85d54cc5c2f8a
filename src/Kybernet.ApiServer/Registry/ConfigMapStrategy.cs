using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>ConfigMaps: what data and binaryData hold together is at most 1 MiB (upstream's MaxConfigMapSize).</summary>
public sealed class ConfigMapStrategy() : ResourceStrategy(ResourceDefinition.Core("ConfigMap", "configmaps", "configmap", shortNames: ["cm"]))
{
    public const int MaxDataBytes = 1024 * 1024;

    protected override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        // Upstream reports it on the root path, which it prints as "[]".
        if (CommonValidation.ValueBytes(obj["data"], base64: false) + CommonValidation.ValueBytes(obj["binaryData"], base64: true) > MaxDataBytes)
            causes.Add(Causes.TooLong("[]", MaxDataBytes));
    }
}
