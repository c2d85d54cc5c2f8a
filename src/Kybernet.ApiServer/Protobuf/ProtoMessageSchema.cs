using System.Collections.Frozen;

namespace Kybernet.ApiServer.Protobuf;

/// <summary>A message: its fields in number order, found by number (decode) or by JSON name.</summary>
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
        ByJsonName = Fields.Where(f => !f.Inline).ToFrozenDictionary(f => f.JsonName, StringComparer.Ordinal);
    }

    public string Name { get; }

    public ProtoFieldSchema[] Fields { get; }

    public FrozenDictionary<string, ProtoFieldSchema> ByJsonName { get; }

    /// <summary>The field with this number, or null for one this schema does not know (skipped, as unknown fields are).</summary>
    public ProtoFieldSchema? Field(int number) => (uint)number < (uint)_byNumber.Length ? _byNumber[number] : null;

    public override string ToString() => Name;
}
