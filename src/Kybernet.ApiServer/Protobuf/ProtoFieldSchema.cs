namespace Kybernet.ApiServer.Protobuf;

/// <summary>One field of a message: its JSON name, number, type and how it is carried.</summary>
public sealed class ProtoFieldSchema(string jsonName, int number, ProtoType type, string? messageName, string flags)
{
    public string JsonName { get; } = jsonName;
    public int Number { get; } = number;
    public ProtoType Type { get; } = type;

    /// <summary>The message type's name when <see cref="Type"/> is <see cref="ProtoType.Message"/>.</summary>
    public string? MessageName { get; } = messageName;

    /// <summary>The message type itself, linked once every message is read.</summary>
    public ProtoMessageSchema? Message { get; internal set; }

    public bool Repeated { get; } = flags.Contains('r');

    /// <summary>A map&lt;string, Type&gt;: repeated entries {key = 1, value = 2}; a JSON object.</summary>
    public bool Map { get; } = flags.Contains('m');

    /// <summary>A zero value on the wire is kept as a JSON value rather than dropped (see <see cref="ProtoToJson"/>).</summary>
    public bool KeepZero { get; } = flags.Contains('z');

    /// <summary>An embedded Go struct: its fields are the parent's in JSON, a nested message on the wire.</summary>
    public bool Inline { get; } = flags.Contains('i');

    /// <summary>The tag (number and wire type) this field is written with: a map's entries are messages.</summary>
    public uint Tag => (uint)(Number << 3) | (Map ? 2u : ValueWireType);

    /// <summary>
    /// The wire type of one value (a map's: of the entry's value). Repeated scalars are written
    /// unpacked, one tag per value, as proto2 and gogo-protobuf do.
    /// </summary>
    public uint ValueWireType => Type switch
    {
        ProtoType.Int32 or ProtoType.Int64 or ProtoType.Bool => 0,
        ProtoType.Double => 1,
        _ => 2,
    };
}
