using System.Text.Json.Nodes;
using Kybernet.Cni.Protocol;

namespace Kybernet.Cni.Plugins;

/// <summary>GC's "cni.dev/valid-attachments": the (container, interface) pairs whose resources must be kept.</summary>
public sealed record ValidAttachment(string ContainerId, string IfName)
{
    public const string Key = "cni.dev/valid-attachments";
}

public static class ValidAttachments
{
    public static IReadOnlyList<ValidAttachment> Parse(CniNetworkConfig config)
    {
        var list = JsonConfig.Array(config.Json, ValidAttachment.Key) ?? [];
        var result = new List<ValidAttachment>();
        for (int i = 0; i < list.Count; i++)
        {
            var path = $"{ValidAttachment.Key}[{i}].";
            var item = list[i] as JsonObject ?? throw CniException.InvalidConfig($"{ValidAttachment.Key}[{i}]", "must be an object");
            result.Add(new ValidAttachment(JsonConfig.RequiredString(item, "containerID", path), JsonConfig.String(item, "ifname", path) ?? ""));
        }
        return result;
    }
}
