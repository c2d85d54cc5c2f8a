using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Protobuf;

/// <summary>
/// Kubernetes' protobuf encoding of a whole object: the magic "k8s\0", then a runtime.Unknown
/// {typeMeta {apiVersion = 1, kind = 2} = 1, raw = 2, contentEncoding = 3, contentType = 4} whose
/// raw is the object's message. Kinds and messages come from <see cref="ProtoSchema.Kubernetes"/>.
/// </summary>
public static class KubernetesProtobuf
{
    public const string MediaType = "application/vnd.kubernetes.protobuf";

    /// <summary>A watch in protobuf: frames of a 4-byte big-endian length and a WatchEvent message (no magic: upstream's raw serializer).</summary>
    public const string WatchMediaType = "application/vnd.kubernetes.protobuf;stream=watch";

    private static ReadOnlySpan<byte> Magic => "k8s\0"u8;

    public static bool HasMagic(ReadOnlySpan<byte> data) => data.StartsWith(Magic);

    /// <summary>The message of the object's apiVersion and kind, or null when the schema has none.</summary>
    public static ProtoMessageSchema? SchemaFor(JsonObject obj) =>
        obj["apiVersion"] is JsonValue av && av.TryGetValue(out string? apiVersion) && obj["kind"] is JsonValue k && k.TryGetValue(out string? kind)
            ? ProtoSchema.Kubernetes.ForKind(apiVersion, kind)
            : null;

    /// <summary>
    /// The object in "k8s\0"-prefixed bytes as JSON, apiVersion and kind first. A malformed body is
    /// a <see cref="FormatException"/>; a kind without a schema an <see cref="UnknownKindException"/>.
    /// </summary>
    public static JsonObject Decode(ReadOnlySpan<byte> data)
    {
        var (apiVersion, kind, schema) = Open(data, out var raw);
        return ProtoToJson.Decode(raw, schema, apiVersion, kind);
    }

    /// <summary>An embedded object (a WatchEvent's) written into JSON being written.</summary>
    public static void WriteJson(System.Text.Json.Utf8JsonWriter json, ReadOnlySpan<byte> data)
    {
        var (apiVersion, kind, schema) = Open(data, out var raw);
        ProtoToJson.WriteObject(json, raw, schema, apiVersion, kind);
    }

    private static (string ApiVersion, string Kind, ProtoMessageSchema Schema) Open(ReadOnlySpan<byte> data, out ReadOnlySpan<byte> raw)
    {
        if (!HasMagic(data))
            throw new FormatException("the body does not start with the Kubernetes protobuf magic number");
        string apiVersion = "", kind = "", contentEncoding = "";
        raw = default;
        var envelope = new ProtoReader(data[Magic.Length..]);
        while (envelope.TryRead(out var f))
        {
            switch (f.Number)
            {
                case 1:
                    var typeMeta = new ProtoReader(f.Bytes);
                    while (typeMeta.TryRead(out var t))
                    {
                        if (t.Number == 1) apiVersion = t.String;
                        else if (t.Number == 2) kind = t.String;
                    }
                    break;
                case 2: raw = f.Bytes; break;
                case 3: contentEncoding = f.String; break;
            }
        }
        if (contentEncoding.Length > 0)
            throw new FormatException($"content encoding \"{contentEncoding}\" is not supported");
        var schema = ProtoSchema.Kubernetes.ForKind(apiVersion, kind) ?? throw new UnknownKindException(apiVersion, kind);
        return (apiVersion, kind, schema);
    }

    /// <summary>Writes the object, whose kind must have a schema (<see cref="SchemaFor"/>).</summary>
    public static void Encode(ProtoWriter writer, JsonObject obj)
    {
        var schema = SchemaFor(obj) ?? throw new FormatException("the object's apiVersion and kind have no protobuf schema");
        writer.WriteRaw(Magic);
        int typeMeta = writer.BeginNested((1 << 3) | 2);
        writer.WriteString((1 << 3) | 2, obj["apiVersion"]!.GetValue<string>());
        writer.WriteString((2 << 3) | 2, obj["kind"]!.GetValue<string>());
        writer.EndNested(typeMeta);
        int raw = writer.BeginNested((2 << 3) | 2);
        JsonToProto.Encode(writer, obj, schema);
        writer.EndNested(raw);
        writer.WriteString((3 << 3) | 2, "");
        writer.WriteString((4 << 3) | 2, "");
    }

    /// <summary>One watch event's message, metav1.WatchEvent {type = 1, object = 2 (RawExtension {raw = 1})}, its object encoded whole.</summary>
    public static void EncodeWatchEvent(ProtoWriter writer, string type, JsonObject obj)
    {
        writer.WriteString((1 << 3) | 2, type);
        int rawExtension = writer.BeginNested((2 << 3) | 2);
        int raw = writer.BeginNested((1 << 3) | 2);
        Encode(writer, obj);
        writer.EndNested(raw);
        writer.EndNested(rawExtension);
    }
}
