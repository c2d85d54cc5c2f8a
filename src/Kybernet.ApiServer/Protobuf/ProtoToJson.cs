using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Protobuf;

/// <summary>
/// Decodes a message's protobuf into JSON, field by field from its <see cref="ProtoMessageSchema"/>,
/// written with a <see cref="Utf8JsonWriter"/> and parsed once: the object is then exactly what the
/// same JSON text sent by a client would parse to (numbers, strings and all).
/// <para>
/// Zero values. gogo-protobuf writes every non-pointer scalar even when it is zero ("", 0, false),
/// where JSON omits it (omitempty). So a zero scalar is dropped unless the schema marks the field
/// KeepZero: a Go pointer (replicas: 0, automountServiceAccountToken: false are choices) or a field
/// JSON writes without omitempty (containerPort). Then the object decoded from protobuf is the one
/// the same Go object marshals to in JSON, and stores the same. A zero Time is dropped (JSON writes
/// null). Nested messages are kept even when empty ("status": {}), as Go's JSON writes structs.
/// Map entries and list items are kept as they are.
/// </para>
/// </summary>
public static class ProtoToJson
{
    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_text;

    [ThreadStatic]
    private static Utf8JsonWriter? t_json;

    public static JsonObject Decode(ReadOnlySpan<byte> data, ProtoMessageSchema schema) => Decode(data, schema, null, null);

    /// <summary>The object, with apiVersion and kind first when given (an envelope's).</summary>
    public static JsonObject Decode(ReadOnlySpan<byte> data, ProtoMessageSchema schema, string? apiVersion, string? kind)
    {
        // The thread's buffers are taken while in use: an embedded object (RawExtension) re-enters with buffers of its own.
        var text = t_text ?? new ArrayBufferWriter<byte>(16 * 1024);
        var json = t_json ?? new Utf8JsonWriter(text, new JsonWriterOptions { SkipValidation = true });
        (t_text, t_json) = (null, null);
        text.ResetWrittenCount();
        json.Reset(text);
        WriteObject(json, data, schema, apiVersion, kind);
        json.Flush();
        var obj = (JsonObject)JsonNode.Parse(text.WrittenSpan, NodeOptions)!; // the parse keeps a copy of its own
        if (text.Capacity <= 1024 * 1024) // a huge object's buffer is not kept for the thread's life
            (t_text, t_json) = (text, json);
        return obj;
    }

    /// <summary>Writes one whole object; used for embedded objects too.</summary>
    public static void WriteObject(Utf8JsonWriter json, ReadOnlySpan<byte> data, ProtoMessageSchema schema, string? apiVersion = null, string? kind = null)
    {
        json.WriteStartObject();
        if (apiVersion is not null)
            json.WriteString("apiVersion"u8, apiVersion);
        if (kind is not null)
            json.WriteString("kind"u8, kind);
        WriteFields(json, data, schema);
        json.WriteEndObject();
    }

    /// <summary>One field's occurrence on the wire: where its bytes are, or its varint.</summary>
    private readonly record struct Occurrence(int Number, int WireType, ulong Varint, int Offset, int Length);

    private static void WriteFields(Utf8JsonWriter json, ReadOnlySpan<byte> data, ProtoMessageSchema schema)
    {
        // The fields in number order, so a repeated field's values (which may come apart) are one list.
        var occurrences = ArrayPool<Occurrence>.Shared.Rent(16);
        int count = 0;
        try
        {
            var reader = new ProtoReader(data);
            while (reader.TryRead(out var f))
            {
                if (count == occurrences.Length)
                {
                    var bigger = ArrayPool<Occurrence>.Shared.Rent(count * 2);
                    occurrences.AsSpan(0, count).CopyTo(bigger);
                    ArrayPool<Occurrence>.Shared.Return(occurrences);
                    occurrences = bigger;
                }
                int offset = reader.Consumed - f.Bytes.Length;
                occurrences[count++] = new Occurrence(f.Number, f.WireType, f.Varint, offset, f.Bytes.Length);
            }
            var fields = occurrences.AsSpan(0, count);
            InsertionSort(fields); // already in order when gogo-protobuf wrote them
            for (int i = 0; i < fields.Length;)
            {
                int end = i + 1;
                while (end < fields.Length && fields[end].Number == fields[i].Number)
                    end++;
                var field = schema.Field(fields[i].Number);
                if (field is not null) // else a field newer than the schema: ignored, as protobuf does
                    WriteField(json, data, field, fields[i..end]);
                i = end;
            }
        }
        finally
        {
            ArrayPool<Occurrence>.Shared.Return(occurrences);
        }
    }

    private static void WriteField(Utf8JsonWriter json, ReadOnlySpan<byte> data, ProtoFieldSchema field, ReadOnlySpan<Occurrence> values)
    {
        if (field.Inline)
        {
            foreach (var v in values)
                WriteFields(json, Bytes(data, v, field), field.Message!);
            return;
        }
        if (field.Map)
        {
            json.WriteStartObject(field.JsonName);
            foreach (var v in values)
                WriteMapEntry(json, Bytes(data, v, field), field);
            json.WriteEndObject();
            return;
        }
        if (field.Repeated)
        {
            json.WriteStartArray(field.JsonName);
            foreach (var v in values)
            {
                if (v.WireType == 2 && field.Type is ProtoType.Int32 or ProtoType.Int64 or ProtoType.Bool)
                {
                    var packed = new ProtoReader(Bytes(data, v, field)); // a packed list: varints one after another
                    while (packed.TryReadVarint(out var n))
                        WriteScalar(json, field.Type, n);
                }
                else
                    WriteValue(json, data, v, field);
            }
            json.WriteEndArray();
            return;
        }
        var last = values[^1]; // a scalar given twice: the last one counts, as in protobuf
        // A zero Time is null in Go's JSON even where the field is kept (a non-omitempty Time, a pointer to one): not written.
        bool zeroTime = field.Type is ProtoType.Time or ProtoType.MicroTime && IsZero(data, last, field);
        if (!zeroTime && (field.KeepZero || !IsZero(data, last, field)))
        {
            json.WritePropertyName(field.JsonName);
            WriteValue(json, data, last, field);
        }
    }

    /// <summary>Whether a single field's value is the zero value JSON would have omitted.</summary>
    private static bool IsZero(ReadOnlySpan<byte> data, in Occurrence v, ProtoFieldSchema field) => field.Type switch
    {
        ProtoType.Message or ProtoType.Strings => false,
        ProtoType.Int32 or ProtoType.Int64 or ProtoType.Bool or ProtoType.Double => v.Varint == 0,
        ProtoType.String or ProtoType.Bytes => v.Length == 0,
        ProtoType.Quantity or ProtoType.Raw or ProtoType.Fields => Inner(Bytes(data, v, field), 1).IsEmpty,
        ProtoType.Time or ProtoType.MicroTime => TimeParts(Bytes(data, v, field)) == (0, 0),
        ProtoType.Duration => InnerVarint(Bytes(data, v, field), 1) == 0,
        ProtoType.IntOrString => IntOrString(Bytes(data, v, field), out var n, out var s) ? s.IsEmpty : n == 0,
        _ => false,
    };

    private static void WriteValue(Utf8JsonWriter json, ReadOnlySpan<byte> data, in Occurrence v, ProtoFieldSchema field)
    {
        switch (field.Type)
        {
            case ProtoType.Int32 or ProtoType.Int64 or ProtoType.Bool:
                WriteScalar(json, field.Type, v.Varint);
                break;
            case ProtoType.Double:
                json.WriteNumberValue(BitConverter.UInt64BitsToDouble(v.Varint));
                break;
            default:
                WriteBytesValue(json, Bytes(data, v, field), field);
                break;
        }
    }

    private static void WriteScalar(Utf8JsonWriter json, ProtoType type, ulong varint)
    {
        switch (type)
        {
            case ProtoType.Bool: json.WriteBooleanValue(varint != 0); break;
            case ProtoType.Int32: json.WriteNumberValue((int)varint); break;
            default: json.WriteNumberValue((long)varint); break;
        }
    }

    /// <summary>A length-delimited value: a string, bytes, a message, or an apimachinery type whose JSON is not its message's shape.</summary>
    private static void WriteBytesValue(Utf8JsonWriter json, ReadOnlySpan<byte> bytes, ProtoFieldSchema field)
    {
        switch (field.Type)
        {
            case ProtoType.String:
                json.WriteStringValue(bytes);
                break;
            case ProtoType.Bytes:
                json.WriteBase64StringValue(bytes);
                break;
            case ProtoType.Message:
                WriteObject(json, bytes, field.Message!);
                break;
            case ProtoType.Time:
                {
                    var (seconds, _) = TimeParts(bytes);
                    WriteTime(json, DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime, "yyyy-MM-dd'T'HH:mm:ss'Z'");
                    break;
                }
            case ProtoType.MicroTime:
                {
                    var (seconds, nanos) = TimeParts(bytes);
                    var at = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.AddTicks(nanos / 100);
                    WriteTime(json, at, "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'");
                    break;
                }
            case ProtoType.Duration:
                json.WriteStringValue(GoDuration.Format((long)InnerVarint(bytes, 1)));
                break;
            case ProtoType.Quantity:
                json.WriteStringValue(Inner(bytes, 1));
                break;
            case ProtoType.IntOrString:
                {
                    if (IntOrString(bytes, out var n, out var s)) json.WriteStringValue(s);
                    else json.WriteNumberValue(n);
                    break;
                }
            case ProtoType.Fields:
            case ProtoType.Raw:
                WriteEmbedded(json, Inner(bytes, 1));
                break;
            case ProtoType.Strings:
                {
                    json.WriteStartArray();
                    var r = new ProtoReader(bytes);
                    while (r.TryRead(out var f))
                        if (f.Number == 1) json.WriteStringValue(f.Bytes);
                    json.WriteEndArray();
                    break;
                }
            default:
                throw new FormatException($"protobuf: {field.JsonName} has wire type 2, which a {field.Type} does not");
        }
    }

    private static void WriteTime(Utf8JsonWriter json, DateTime at, string format)
    {
        Span<char> text = stackalloc char[32];
        if (!at.TryFormat(text, out int written, format, CultureInfo.InvariantCulture))
            throw new FormatException($"protobuf: time {at:o} does not fit its JSON form");
        json.WriteStringValue(text[..written]);
    }

    /// <summary>Embedded bytes: an object in Kubernetes protobuf ("k8s\0"...) or JSON.</summary>
    private static void WriteEmbedded(Utf8JsonWriter json, ReadOnlySpan<byte> raw)
    {
        if (raw.IsEmpty)
        {
            json.WriteNullValue();
            return;
        }
        if (KubernetesProtobuf.HasMagic(raw))
        {
            KubernetesProtobuf.WriteJson(json, raw);
            return;
        }
        try { json.WriteRawValue(raw, skipInputValidation: false); }
        catch (JsonException e) { throw new FormatException($"protobuf: an embedded raw object is neither protobuf nor JSON: {e.Message}"); }
    }

    private static void WriteMapEntry(Utf8JsonWriter json, ReadOnlySpan<byte> entry, ProtoFieldSchema field)
    {
        ReadOnlySpan<byte> key = default;
        Occurrence? value = null;
        var r = new ProtoReader(entry);
        while (r.TryRead(out var f))
        {
            if (f.Number == 1) key = f.Bytes;
            else if (f.Number == 2) value = new Occurrence(2, f.WireType, f.Varint, r.Consumed - f.Bytes.Length, f.Bytes.Length);
        }
        json.WritePropertyName(key);
        if (value is { } v)
        {
            WriteValue(json, entry, v, field);
            return;
        }
        // An entry without a value carries the zero value, which a map keeps.
        switch (field.Type)
        {
            case ProtoType.Int32 or ProtoType.Int64 or ProtoType.Bool or ProtoType.Double: WriteScalar(json, field.Type, 0); break;
            case ProtoType.Message: json.WriteStartObject(); json.WriteEndObject(); break;
            case ProtoType.Strings: json.WriteStartArray(); json.WriteEndArray(); break;
            default: json.WriteStringValue(""u8); break;
        }
    }

    /// <summary>Whether the IntOrString is a string (type 1), with its int and string values.</summary>
    private static bool IntOrString(ReadOnlySpan<byte> bytes, out int intVal, out ReadOnlySpan<byte> strVal)
    {
        ulong type = 0;
        intVal = 0;
        strVal = default;
        var r = new ProtoReader(bytes);
        while (r.TryRead(out var f))
        {
            if (f.Number == 1) type = f.Varint;
            else if (f.Number == 2) intVal = (int)f.Varint;
            else if (f.Number == 3) strVal = f.Bytes;
        }
        return type == 1;
    }

    private static (long Seconds, int Nanos) TimeParts(ReadOnlySpan<byte> bytes)
    {
        long seconds = 0;
        int nanos = 0;
        var r = new ProtoReader(bytes);
        while (r.TryRead(out var f))
        {
            if (f.Number == 1) seconds = (long)f.Varint;
            else if (f.Number == 2) nanos = (int)f.Varint;
        }
        return (seconds, nanos);
    }

    private static ReadOnlySpan<byte> Inner(ReadOnlySpan<byte> bytes, int number)
    {
        var r = new ProtoReader(bytes);
        ReadOnlySpan<byte> found = default;
        while (r.TryRead(out var f))
            if (f.Number == number && f.WireType == 2) found = f.Bytes;
        return found;
    }

    private static ulong InnerVarint(ReadOnlySpan<byte> bytes, int number)
    {
        var r = new ProtoReader(bytes);
        ulong found = 0;
        while (r.TryRead(out var f))
            if (f.Number == number && f.WireType == 0) found = f.Varint;
        return found;
    }

    private static ReadOnlySpan<byte> Bytes(ReadOnlySpan<byte> data, in Occurrence v, ProtoFieldSchema field) =>
        v.WireType == 2 ? data.Slice(v.Offset, v.Length) : throw new FormatException($"protobuf: field {field.JsonName} ({field.Number}) has wire type {v.WireType}, not 2");

    private static void InsertionSort(Span<Occurrence> items)
    {
        for (int i = 1; i < items.Length; i++)
        {
            var item = items[i];
            int j = i - 1;
            while (j >= 0 && items[j].Number > item.Number)
            {
                items[j + 1] = items[j];
                j--;
            }
            items[j + 1] = item;
        }
    }
}
