using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Protobuf;

/// <summary>
/// Encodes a JSON object as its message's protobuf, from its <see cref="ProtoMessageSchema"/>. The
/// object's properties are walked (not the schema's fields: objects set few of them); a property
/// the schema does not know, or a null, is not written (a client reads it as unset, as from JSON).
/// A value of the wrong JSON shape is a <see cref="FormatException"/>.
/// </summary>
public static class JsonToProto
{
    /// <summary>Tags of the entries of a map: key = 1 (string), value = 2 (by the value's wire type).</summary>
    private const uint MapKeyTag = (1 << 3) | 2;

    public static void Encode(ProtoWriter writer, JsonObject obj, ProtoMessageSchema schema)
    {
        foreach (var (name, value) in obj)
        {
            if (value is null || !schema.ByJsonName.TryGetValue(name, out var field))
                continue;
            if (field.Map)
            {
                if (value is not JsonObject map)
                    throw new FormatException($"{name}: expected an object");
                uint valueTag = (2 << 3) | field.ValueWireType;
                foreach (var (key, item) in map)
                {
                    if (item is null)
                        continue;
                    int entry = writer.BeginNested(field.Tag);
                    writer.WriteString(MapKeyTag, key);
                    WriteValue(writer, valueTag, item, field);
                    writer.EndNested(entry);
                }
            }
            else if (field.Repeated)
            {
                if (value is not JsonArray list)
                    throw new FormatException($"{name}: expected a list");
                foreach (var item in list)
                    if (item is not null)
                        WriteValue(writer, field.Tag, item, field);
            }
            else
                WriteValue(writer, field.Tag, value, field);
        }
        // Embedded Go structs: their fields are this object's in JSON, one nested message on the wire.
        foreach (var field in schema.Fields)
        {
            if (!field.Inline)
                continue;
            int start = writer.BeginNested(field.Tag);
            Encode(writer, obj, field.Message!);
            writer.EndNested(start);
        }
    }

    private static void WriteValue(ProtoWriter writer, uint tag, JsonNode value, ProtoFieldSchema field)
    {
        switch (field.Type)
        {
            case ProtoType.String:
                writer.WriteString(tag, Text(value, field));
                break;
            case ProtoType.Int32:
            case ProtoType.Int64:
                writer.WriteInt(tag, Integer(value, field));
                break;
            case ProtoType.Bool:
                writer.WriteBool(tag, value.GetValueKind() switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    _ => throw Shape(field, "a boolean"),
                });
                break;
            case ProtoType.Double:
                writer.WriteDouble(tag, value.GetValueKind() == JsonValueKind.Number && double.TryParse(value.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? number : throw Shape(field, "a number"));
                break;
            case ProtoType.Bytes:
                writer.WriteBytes(tag, Convert.FromBase64String(Text(value, field)));
                break;
            case ProtoType.Message:
                {
                    int start = writer.BeginNested(tag);
                    Encode(writer, value as JsonObject ?? throw Shape(field, "an object"), field.Message!);
                    writer.EndNested(start);
                    break;
                }
            default:
                {
                    int start = writer.BeginNested(tag);
                    Special(writer, value, field);
                    writer.EndNested(start);
                    break;
                }
        }
    }

    /// <summary>The inside of an apimachinery type's message, from its JSON form.</summary>
    private static void Special(ProtoWriter writer, JsonNode value, ProtoFieldSchema field)
    {
        switch (field.Type)
        {
            case ProtoType.Time:
            case ProtoType.MicroTime:
                {
                    var at = DateTimeOffset.Parse(Text(value, field), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
                    writer.WriteInt((1 << 3) | 0, at.ToUnixTimeSeconds());
                    writer.WriteInt((2 << 3) | 0, field.Type == ProtoType.Time ? 0 : at.Ticks % TimeSpan.TicksPerSecond * 100);
                    break;
                }
            case ProtoType.Duration:
                writer.WriteInt((1 << 3) | 0, GoDuration.Parse(Text(value, field)));
                break;
            case ProtoType.Quantity:
                writer.WriteString((1 << 3) | 2, value.GetValueKind() == JsonValueKind.Number ? value.ToJsonString() : Text(value, field));
                break;
            case ProtoType.IntOrString:
                if (value.GetValueKind() == JsonValueKind.Number)
                {
                    writer.WriteInt((1 << 3) | 0, 0);
                    writer.WriteInt((2 << 3) | 0, Integer(value, field));
                    writer.WriteString((3 << 3) | 2, "");
                }
                else
                {
                    writer.WriteInt((1 << 3) | 0, 1);
                    writer.WriteInt((2 << 3) | 0, 0);
                    writer.WriteString((3 << 3) | 2, Text(value, field));
                }
                break;
            case ProtoType.Fields:
                writer.WriteBytes((1 << 3) | 2, Encoding.UTF8.GetBytes(value.ToJsonString()));
                break;
            case ProtoType.Raw:
                // An embedded object of a kind the schema knows goes as protobuf (what a protobuf
                // client's embedded decoder reads, e.g. in a WatchEvent); anything else as JSON.
                if (value is JsonObject obj && KubernetesProtobuf.SchemaFor(obj) is not null)
                {
                    int start = writer.BeginNested((1 << 3) | 2);
                    KubernetesProtobuf.Encode(writer, obj);
                    writer.EndNested(start);
                }
                else
                    writer.WriteBytes((1 << 3) | 2, Encoding.UTF8.GetBytes(value.ToJsonString()));
                break;
            case ProtoType.Strings:
                foreach (var item in value as JsonArray ?? throw Shape(field, "a list"))
                    if (item is not null)
                        writer.WriteString((1 << 3) | 2, Text(item, field));
                break;
            default:
                throw new FormatException($"{field.JsonName}: type {field.Type} is not a special type");
        }
    }

    private static string Text(JsonNode value, ProtoFieldSchema field) =>
        value is JsonValue v && v.TryGetValue(out string? s) ? s : throw Shape(field, "a string");

    private static long Integer(JsonNode value, ProtoFieldSchema field)
    {
        // Parsed JSON holds a JsonElement (any number reads as long); objects the server builds hold the CLR value itself.
        if (value is JsonValue v)
        {
            if (v.TryGetValue(out long n))
                return n;
            if (v.TryGetValue(out int i))
                return i;
            if (v.GetValueKind() == JsonValueKind.Number && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d == Math.Floor(d))
                return (long)d;
        }
        throw Shape(field, "an integer");
    }

    private static FormatException Shape(ProtoFieldSchema field, string expected) =>
        new($"{field.JsonName} ({field.Number}): expected {expected}");
}
