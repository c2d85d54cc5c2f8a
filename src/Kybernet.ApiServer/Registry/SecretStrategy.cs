using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>Secrets: type Opaque unless said otherwise; stringData, a write-only convenience, is stored base64-encoded in data.</summary>
public sealed class SecretStrategy() : ResourceStrategy(ResourceDefinition.Core("Secret", "secrets", "secret"))
{
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
