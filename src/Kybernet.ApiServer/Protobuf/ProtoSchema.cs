using System.Collections.Frozen;

namespace Kybernet.ApiServer.Protobuf;

/// <summary>
/// The Kubernetes messages the codec knows, read once from the embedded KubernetesMessages.schema
/// (its header describes the format), and the kinds that are top-level objects.
/// </summary>
public sealed class ProtoSchema
{
    private readonly FrozenDictionary<(string ApiVersion, string Kind), ProtoMessageSchema> _kinds;
    private readonly FrozenDictionary<string, ProtoMessageSchema> _anyVersionKinds;

    private ProtoSchema(Dictionary<string, ProtoMessageSchema> messages, Dictionary<(string, string), ProtoMessageSchema> kinds, Dictionary<string, ProtoMessageSchema> anyVersion)
    {
        Messages = messages.ToFrozenDictionary(StringComparer.Ordinal);
        _kinds = kinds.ToFrozenDictionary();
        _anyVersionKinds = anyVersion.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The schema embedded in this assembly.</summary>
    public static ProtoSchema Kubernetes { get; } = Load();

    public FrozenDictionary<string, ProtoMessageSchema> Messages { get; }

    /// <summary>Every (apiVersion, kind) that is a top-level object; meta kinds (Status...) under "*".</summary>
    public IEnumerable<(string ApiVersion, string Kind)> Kinds => _kinds.Keys.Concat(_anyVersionKinds.Keys.Select(k => ("*", k)));

    /// <summary>
    /// The message of a kind, or null when the schema has none. Status, DeleteOptions and WatchEvent
    /// are meta kinds that every group-version carries, so they match any apiVersion.
    /// </summary>
    public ProtoMessageSchema? ForKind(string apiVersion, string kind) =>
        _kinds.TryGetValue((apiVersion, kind), out var m) ? m : _anyVersionKinds.GetValueOrDefault(kind);

    public static ProtoSchema Load()
    {
        using var stream = typeof(ProtoSchema).Assembly.GetManifestResourceStream("KubernetesMessages.schema")
            ?? throw new InvalidOperationException("the embedded KubernetesMessages.schema is missing");
        using var reader = new StreamReader(stream);
        return Parse(reader);
    }

    public static ProtoSchema Parse(TextReader reader)
    {
        var messages = new Dictionary<string, ProtoMessageSchema>(StringComparer.Ordinal);
        var kindNames = new List<(string ApiVersion, string Kind, string Message)>();
        string? current = null;
        var fields = new List<ProtoFieldSchema>();
        void Flush()
        {
            if (current is not null)
                messages.Add(current, new ProtoMessageSchema(current, fields.ToArray()));
            fields.Clear();
        }
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0 || line[0] == '#')
                continue;
            var parts = line.Split(' ');
            switch (parts)
            {
                case ["@kind", var apiVersion, var kind, var message]:
                    kindNames.Add((apiVersion, kind, message));
                    break;
                case ["@msg", var name]:
                    Flush();
                    current = name;
                    break;
                case [var jsonName, var number, var type, var flags] when current is not null:
                    var (protoType, messageName) = TypeOf(type);
                    fields.Add(new ProtoFieldSchema(jsonName, int.Parse(number, System.Globalization.CultureInfo.InvariantCulture), protoType, messageName, flags));
                    break;
                default:
                    throw new FormatException($"KubernetesMessages.schema line {lineNumber}: cannot read \"{line}\"");
            }
        }
        Flush();
        foreach (var field in messages.Values.SelectMany(m => m.Fields).Where(f => f.MessageName is not null))
            field.Message = messages.GetValueOrDefault(field.MessageName!)
                ?? throw new FormatException($"KubernetesMessages.schema: message {field.MessageName} (of field {field.JsonName}) is not described");
        var kinds = new Dictionary<(string, string), ProtoMessageSchema>();
        var anyVersion = new Dictionary<string, ProtoMessageSchema>(StringComparer.Ordinal);
        foreach (var (apiVersion, kind, message) in kindNames)
        {
            var schema = messages.GetValueOrDefault(message) ?? throw new FormatException($"KubernetesMessages.schema: kind {kind} names an unknown message {message}");
            if (apiVersion == "*")
                anyVersion[kind] = schema;
            else
                kinds[(apiVersion, kind)] = schema;
        }
        return new ProtoSchema(messages, kinds, anyVersion);
    }

    private static (ProtoType, string?) TypeOf(string type) => type switch
    {
        "string" => (ProtoType.String, null),
        "int32" => (ProtoType.Int32, null),
        "int64" => (ProtoType.Int64, null),
        "bool" => (ProtoType.Bool, null),
        "bytes" => (ProtoType.Bytes, null),
        "double" => (ProtoType.Double, null),
        "time" => (ProtoType.Time, null),
        "microtime" => (ProtoType.MicroTime, null),
        "duration" => (ProtoType.Duration, null),
        "fields" => (ProtoType.Fields, null),
        "intstr" => (ProtoType.IntOrString, null),
        "quantity" => (ProtoType.Quantity, null),
        "raw" => (ProtoType.Raw, null),
        "strings" => (ProtoType.Strings, null),
        _ => (ProtoType.Message, type),
    };
}
