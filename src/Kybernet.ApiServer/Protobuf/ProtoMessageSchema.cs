using System.Collections.Frozen;

namespace Kybernet.ApiServer.Protobuf;

/// <summary>A message: its fields in number order, found by number (decode) or by JSON name (encode).</summary>
public sealed class ProtoMessageSchema
{
    private readonly ProtoFieldSchema?[] _byNumber;

    public ProtoMessageSchema(string name, IReadOnlyList<ProtoFieldSchema> fields)
    {
        Name = name;
        Fields = [.. fields.OrderBy(f => f.Number)];
        _byNumber = new ProtoFieldSchema?[Fields.Length == 0 ? 1 : Fields[^1].Number + 1];
        foreach (var f in Fields)
            _byNumber[f.Number] = f;
    }

    private FrozenDictionary<string, (ProtoFieldSchema Field, ProtoFieldSchema[] Inline)>? _byJsonNameDeep;
    private FrozenDictionary<string, (ProtoFieldSchema Field, ProtoFieldSchema[] Inline)>.AlternateLookup<ReadOnlySpan<char>> _deepLookup;

    /// <summary>
    /// The field a JSON property names, this message's own or one of an inline (embedded) field's,
    /// with the inline fields it is reached through, outermost first. Built on first use, once the
    /// schema's messages are linked.
    /// </summary>
    public bool TryFindJsonName(ReadOnlySpan<char> name, out ProtoFieldSchema field, out ProtoFieldSchema[] inline)
    {
        if (_byJsonNameDeep is null)
        {
            var all = new Dictionary<string, (ProtoFieldSchema, ProtoFieldSchema[])>(StringComparer.Ordinal);
            Collect(this, [], all);
            var built = all.ToFrozenDictionary(StringComparer.Ordinal);
            _deepLookup = built.GetAlternateLookup<ReadOnlySpan<char>>();
            _byJsonNameDeep = built;
        }
        if (_deepLookup.TryGetValue(name, out var found))
        {
            (field, inline) = found;
            return true;
        }
        (field, inline) = (null!, []);
        return false;
    }

    private static void Collect(ProtoMessageSchema message, ProtoFieldSchema[] path, Dictionary<string, (ProtoFieldSchema, ProtoFieldSchema[])> into)
    {
        foreach (var f in message.Fields)
        {
            if (f.Inline && path.Length < MaxInlineDepth)
                Collect(f.Message!, [.. path, f], into);
            else
                into.TryAdd(f.JsonName, (f, path));
        }
    }

    /// <summary>How deep embedded (inline) structs are followed inside one another (one level in every Kubernetes kind).</summary>
    public const int MaxInlineDepth = 4;

    public string Name { get; }

    public ProtoFieldSchema[] Fields { get; }

    /// <summary>The field with this number, or null for one this schema does not know (skipped, as unknown fields are).</summary>
    public ProtoFieldSchema? Field(int number) => (uint)number < (uint)_byNumber.Length ? _byNumber[number] : null;

    public override string ToString() => Name;
}
