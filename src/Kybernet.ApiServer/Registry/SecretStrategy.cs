using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// Secrets: type Opaque unless said otherwise; stringData, a write-only convenience, is stored
/// base64-encoded in data; what data holds is at most 1 MiB (upstream's MaxSecretSize).
/// </summary>
public sealed class SecretStrategy() : ResourceStrategy(ResourceDefinition.Core("Secret", "secrets", "secret"))
{
    public const int MaxDataBytes = 1024 * 1024;

    protected override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        if (CommonValidation.ValueBytes(obj["data"], base64: true) > MaxDataBytes)
            causes.Add(Causes.TooLong("data", MaxDataBytes));
    }

    public override void Default(JsonObject obj)
    {
        Defaults.Set(obj, "type", () => "Opaque");
        if (obj["stringData"] is not JsonObject strings)
            return;
        var data = Defaults.Object(obj, "data");
        foreach (var (key, value) in strings)
            data[key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(ObjectMeta.Str(value) ?? ""));
        obj.Remove("stringData");
    }
}
