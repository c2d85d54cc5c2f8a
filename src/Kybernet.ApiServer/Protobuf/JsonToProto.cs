using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Protobuf;

/// <summary>
/// Encodes JSON as its message's protobuf, from its <see cref="ProtoMessageSchema"/>, reading the
/// JSON text with a <see cref="Utf8JsonReader"/>: strings go from the text to the wire as UTF-8
/// without becoming .NET strings, and no node tree is walked. A property the schema does not know,
/// or a null, is not written (a client reads it as unset, as from JSON). A property of an embedded
/// Go struct (inline) is written as its own occurrence of the struct's message, which protobuf
/// merges. A value of the wrong JSON shape is a <see cref="FormatException"/>.
/// </summary>
public static class JsonToProto
{
    /// <summary>Tags of the entries of a map: key = 1 (string), value = 2 (by the value's wire type).</summary>
    private const uint MapKeyTag = (1 << 3) | 2;

    /// <summary>How deep embedded structs go inside one another (one level in every Kubernetes kind).</summary>
    private const int MaxInlineDepth = ProtoMessageSchema.MaxInlineDepth;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_text;

    [ThreadStatic]
    private static Utf8JsonWriter? t_json;

    /// <summary>Encodes a JSON object (its text first, which for a node parsed and not changed is a copy).</summary>
    public static void Encode(ProtoWriter writer, JsonObject obj, ProtoMessageSchema schema)
    {
        // The thread's buffers are taken while in use: an embedded object (RawExtension) re-enters with buffers of its own.
        var text = t_text ?? new ArrayBufferWriter<byte>(16 * 1024);
        var json = t_json ?? new Utf8JsonWriter(text, new JsonWriterOptions { SkipValidation = true });
        (t_text, t_json) = (null, null);
        text.ResetWrittenCount();
        json.Reset(text);
        obj.WriteTo(json);
        json.Flush();
        Encode(writer, text.WrittenSpan, schema);
        if (text.Capacity <= 1024 * 1024) // a huge object's buffer is not kept for the thread's life
            (t_text, t_json) = (text, json);
    }

    /// <summary>Encodes the JSON text of one object.</summary>
    public static void Encode(ProtoWriter writer, ReadOnlySpan<byte> utf8Json, ProtoMessageSchema schema)
    {
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { MaxDepth = 256 });
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                throw new FormatException("expected a JSON object");
            EncodeObject(ref reader, utf8Json, writer, schema);
        }
        catch (JsonException e)
        {
            throw new FormatException($"not valid JSON: {e.Message}");
        }
        catch (InvalidOperationException e)
        {
            throw new FormatException(e.Message); // a token of the wrong kind (a string where a number goes)
        }
    }

    /// <summary>The reader is on the object's StartObject; it ends on its EndObject.</summary>
    private static void EncodeObject(ref Utf8JsonReader reader, ReadOnlySpan<byte> text, ProtoWriter writer, ProtoMessageSchema schema)
    {
        Span<char> name = stackalloc char[128];
        Span<int> starts = stackalloc int[MaxInlineDepth];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool known = Find(ref reader, schema, name, out var field, out var inline);
            reader.Read();
            if (!known || reader.TokenType == JsonTokenType.Null)
            {
                reader.Skip();
                continue;
            }
            for (int i = 0; i < inline.Length; i++)
                starts[i] = writer.BeginNested(inline[i].Tag);
            EncodeField(ref reader, text, writer, field);
            for (int i = inline.Length - 1; i >= 0; i--)
                writer.EndNested(starts[i]);
        }
    }

    private static bool Find(ref Utf8JsonReader reader, ProtoMessageSchema schema, scoped Span<char> buffer, out ProtoFieldSchema field, out ProtoFieldSchema[] inline)
    {
        var raw = reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;
        if (!reader.ValueIsEscaped && raw.Length <= buffer.Length)
        {
            int n = Encoding.UTF8.GetChars(raw, buffer);
            return schema.TryFindJsonName(buffer[..n], out field, out inline);
        }
        return schema.TryFindJsonName(reader.GetString(), out field, out inline);
    }

    private static void EncodeField(ref Utf8JsonReader reader, ReadOnlySpan<byte> text, ProtoWriter writer, ProtoFieldSchema field)
    {
        if (field.Map)
        {
            Expect(ref reader, JsonTokenType.StartObject, field, "an object");
            uint valueTag = (2 << 3) | field.ValueWireType;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var key = reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan.ToArray();
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null)
                {
                    reader.Skip();
                    continue;
                }
                int entry = writer.BeginNested(field.Tag);
                writer.WriteBytes(MapKeyTag, key);
                WriteValue(ref reader, text, writer, valueTag, field);
                writer.EndNested(entry);
            }
        }
        else if (field.Repeated)
        {
            Expect(ref reader, JsonTokenType.StartArray, field, "a list");
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType == JsonTokenType.Null)
                    continue;
                WriteValue(ref reader, text, writer, field.Tag, field);
            }
        }
        else
            WriteValue(ref reader, text, writer, field.Tag, field);
    }

    private static void WriteValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> text, ProtoWriter writer, uint tag, ProtoFieldSchema field)
    {
        switch (field.Type)
        {
            case ProtoType.String:
                WriteText(ref reader, writer, tag, field);
                break;
            case ProtoType.Int32:
            case ProtoType.Int64:
                writer.WriteInt(tag, Integer(ref reader, field));
                break;
            case ProtoType.Bool:
                writer.WriteBool(tag, reader.TokenType switch
                {
                    JsonTokenType.True => true,
                    JsonTokenType.False => false,
                    _ => throw Shape(field, "a boolean"),
                });
                break;
            case ProtoType.Double:
                Expect(ref reader, JsonTokenType.Number, field, "a number");
                writer.WriteDouble(tag, reader.GetDouble());
                break;
            case ProtoType.Bytes:
                Expect(ref reader, JsonTokenType.String, field, "a base64 string");
                writer.WriteBytes(tag, reader.GetBytesFromBase64());
                break;
            case ProtoType.Message:
                {
                    Expect(ref reader, JsonTokenType.StartObject, field, "an object");
                    int start = writer.BeginNested(tag);
                    EncodeObject(ref reader, text, writer, field.Message!);
                    writer.EndNested(start);
                    break;
                }
            default:
                {
                    int start = writer.BeginNested(tag);
                    Special(ref reader, text, writer, field);
                    writer.EndNested(start);
                    break;
                }
        }
    }

    /// <summary>The inside of an apimachinery type's message, from its JSON form.</summary>
    private static void Special(ref Utf8JsonReader reader, ReadOnlySpan<byte> text, ProtoWriter writer, ProtoFieldSchema field)
    {
        switch (field.Type)
        {
            case ProtoType.Time:
            case ProtoType.MicroTime:
                {
                    Expect(ref reader, JsonTokenType.String, field, "an RFC 3339 time");
                    if (!reader.TryGetDateTimeOffset(out var at))
                        throw Shape(field, "an RFC 3339 time");
                    writer.WriteInt((1 << 3) | 0, at.ToUnixTimeSeconds());
                    writer.WriteInt((2 << 3) | 0, field.Type == ProtoType.Time ? 0 : at.UtcTicks % TimeSpan.TicksPerSecond * 100);
                    break;
                }
            case ProtoType.Duration:
                Expect(ref reader, JsonTokenType.String, field, "a duration");
                writer.WriteInt((1 << 3) | 0, GoDuration.Parse(reader.GetString()!));
                break;
            case ProtoType.Quantity:
                if (reader.TokenType == JsonTokenType.Number)
                    writer.WriteBytes((1 << 3) | 2, reader.ValueSpan); // 2 and "2" are the same quantity
                else
                    WriteText(ref reader, writer, (1 << 3) | 2, field);
                break;
            case ProtoType.IntOrString:
                if (reader.TokenType == JsonTokenType.Number)
                {
                    writer.WriteInt((1 << 3) | 0, 0);
                    writer.WriteInt((2 << 3) | 0, Integer(ref reader, field));
                    writer.WriteBytes((3 << 3) | 2, []);
                }
                else
                {
                    writer.WriteInt((1 << 3) | 0, 1);
                    writer.WriteInt((2 << 3) | 0, 0);
                    WriteText(ref reader, writer, (3 << 3) | 2, field);
                }
                break;
            case ProtoType.Fields:
                writer.WriteBytes((1 << 3) | 2, ValueText(ref reader, text));
                break;
            case ProtoType.Raw:
                {
                    // An embedded object of a kind the schema knows goes as protobuf (what a protobuf
                    // client's embedded decoder reads, e.g. in a WatchEvent); anything else as JSON.
                    var value = ValueText(ref reader, text);
                    if (JsonNode.Parse(value) is JsonObject obj && KubernetesProtobuf.SchemaFor(obj) is not null)
                    {
                        int start = writer.BeginNested((1 << 3) | 2);
                        KubernetesProtobuf.Encode(writer, obj);
                        writer.EndNested(start);
                    }
                    else
                        writer.WriteBytes((1 << 3) | 2, value);
                    break;
                }
            case ProtoType.Strings:
                Expect(ref reader, JsonTokenType.StartArray, field, "a list");
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    if (reader.TokenType != JsonTokenType.Null)
                        WriteText(ref reader, writer, (1 << 3) | 2, field);
                break;
            default:
                throw new FormatException($"{field.JsonName}: type {field.Type} is not a special type");
        }
    }

    /// <summary>A JSON string as a protobuf string: its UTF-8 bytes as they are when it has no escapes.</summary>
    private static void WriteText(ref Utf8JsonReader reader, ProtoWriter writer, uint tag, ProtoFieldSchema field)
    {
        Expect(ref reader, JsonTokenType.String, field, "a string");
        if (reader.ValueIsEscaped || reader.HasValueSequence)
            writer.WriteString(tag, reader.GetString()!);
        else
            writer.WriteBytes(tag, reader.ValueSpan);
    }

    /// <summary>The JSON text of the value the reader is on (which it then skips).</summary>
    private static ReadOnlySpan<byte> ValueText(ref Utf8JsonReader reader, ReadOnlySpan<byte> text)
    {
        int start = (int)reader.TokenStartIndex;
        reader.Skip();
        return text[start..(int)reader.BytesConsumed];
    }

    private static long Integer(ref Utf8JsonReader reader, ProtoFieldSchema field)
    {
        Expect(ref reader, JsonTokenType.Number, field, "an integer");
        if (reader.TryGetInt64(out long n))
            return n;
        double d = reader.GetDouble();
        return d == Math.Floor(d) ? (long)d : throw Shape(field, "an integer");
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType token, ProtoFieldSchema field, string expected)
    {
        if (reader.TokenType != token)
            throw Shape(field, expected);
    }

    private static FormatException Shape(ProtoFieldSchema field, string expected) =>
        new($"{field.JsonName} ({field.Number}): expected {expected}");
}
