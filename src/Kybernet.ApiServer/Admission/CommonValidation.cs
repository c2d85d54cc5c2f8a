using System.Text;
using System.Text.Json.Nodes;
using Kybernet.Api.Names;
using Kybernet.ApiServer.Http;

namespace Kybernet.ApiServer.Admission;

/// <summary>Checks every kind shares: an object's name, its labels, a port number.</summary>
public static class CommonValidation
{
    /// <summary>metadata.name is present and passes <paramref name="rule"/> (which DNS name form the kind needs).</summary>
    public static void Name(JsonObject obj, Func<string, IReadOnlyList<string>> rule, List<StatusCause> causes)
    {
        var name = ObjectMeta.Name(obj);
        if (string.IsNullOrEmpty(name))
            causes.Add(Causes.Required("metadata.name", "name or generateName is required"));
        else
            causes.AddRange(rule(name).Select(p => Causes.Invalid("metadata.name", name, p)));
    }

    /// <summary>Label keys are qualified names and values valid label values, as selectors need them.</summary>
    public static void Labels(JsonNode? labels, string path, List<StatusCause> causes)
    {
        if (labels is not JsonObject map)
            return;
        foreach (var (key, value) in map)
        {
            causes.AddRange(LabelSyntax.IsQualifiedName(key).Select(p => Causes.Invalid(path, key, p)));
            var text = ObjectMeta.Str(value) ?? "";
            causes.AddRange(LabelSyntax.IsValidLabelValue(text).Select(p => Causes.Invalid(path, text, p)));
        }
    }

    /// <summary>
    /// Each owner reference names its owner fully (apiVersion, kind, name, uid: the garbage collector acts on them), and
    /// at most one is the controller, as upstream checks.
    /// </summary>
    public static void OwnerReferences(JsonNode? references, List<StatusCause> causes)
    {
        if (references is not JsonArray list)
            return;
        var controllers = 0;
        for (var i = 0; i < list.Count; i++)
        {
            var path = $"metadata.ownerReferences[{i}]";
            foreach (var field in new[] { "apiVersion", "kind", "name", "uid" })
            {
                if (string.IsNullOrEmpty(ObjectMeta.Str(list[i]?[field])))
                    causes.Add(Causes.Required($"{path}.{field}"));
            }
            if (list[i]?["controller"] is JsonValue c && c.TryGetValue(out bool controller) && controller)
                controllers++;
        }
        if (controllers > 1)
            causes.Add(Causes.Invalid("metadata.ownerReferences", list.ToJsonString(), "Only one reference can have Controller set to true"));
    }

    /// <summary>Upstream's TotalAnnotationSizeLimitB: keys and values together, 256 KiB.</summary>
    public const int MaxAnnotationBytes = 256 * 1024;

    /// <summary>All annotations together (keys and values, in UTF-8) fit in <see cref="MaxAnnotationBytes"/>.</summary>
    public static void Annotations(JsonNode? annotations, string path, List<StatusCause> causes)
    {
        if (annotations is not JsonObject map)
            return;
        long total = map.Sum(a => (long)Encoding.UTF8.GetByteCount(a.Key) + Encoding.UTF8.GetByteCount(ObjectMeta.Str(a.Value) ?? ""));
        if (total > MaxAnnotationBytes)
            causes.Add(Causes.TooLong(path, MaxAnnotationBytes));
    }

    /// <summary>The bytes the values of a string map hold (ConfigMap data), decoded from base64 when <paramref name="base64"/> (binaryData, Secret data).</summary>
    public static long ValueBytes(JsonNode? map, bool base64)
    {
        if (map is not JsonObject values)
            return 0;
        return values.Sum(v => ObjectMeta.Str(v.Value) is not { } text ? 0L
            : base64 ? DecodedLength(text) : Encoding.UTF8.GetByteCount(text));
    }

    /// <summary>The length of what a base64 text decodes to (without decoding it).</summary>
    private static long DecodedLength(string text) => text.Length / 4 * 3 - (text.EndsWith("==", StringComparison.Ordinal) ? 2 : text.EndsWith('=') ? 1 : 0);

    /// <summary>A required port number, 1-65535.</summary>
    public static void Port(JsonNode? node, string path, List<StatusCause> causes)
    {
        if (node is not JsonValue v || !v.TryGetValue(out long port))
            causes.Add(Causes.Required(path));
        else if (port is < 1 or > 65535)
            causes.Add(Causes.Invalid(path, port.ToString(), "must be between 1 and 65535, inclusive"));
    }
}
