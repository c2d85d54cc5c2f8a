using System.Text.Json;

namespace Kybernet.Linux.Nftables;

/// <summary>
/// Reads the output of `nft -j list table`: a flat "nftables" array of {"table"|"chain"|"rule"|"set"|"map": {...}}
/// objects, which this groups back into one <see cref="NftTableState"/>.
/// </summary>
internal static class NftJsonListing
{
    public static NftTableState Parse(string json, NftFamily family, string tableName)
    {
        using var document = JsonDocument.Parse(json);
        ulong tableHandle = 0;
        var chains = new List<(string Name, ulong Handle, string? Type, string? Hook, int? Priority, string? Policy)>();
        var rules = new List<(string Chain, NftRuleState Rule)>();
        var sets = new List<NftSetState>();
        var maps = new List<NftSetState>();

        foreach (var item in document.RootElement.GetProperty("nftables").EnumerateArray())
        {
            foreach (var entry in item.EnumerateObject())
            {
                var o = entry.Value;
                switch (entry.Name)
                {
                    case "table":
                        tableHandle = o.GetProperty("handle").GetUInt64();
                        break;
                    case "chain":
                        chains.Add((o.GetProperty("name").GetString()!, o.GetProperty("handle").GetUInt64(),
                            StringOrNull(o, "type"), StringOrNull(o, "hook"),
                            o.TryGetProperty("prio", out var prio) ? prio.GetInt32() : null, StringOrNull(o, "policy")));
                        break;
                    case "rule":
                        rules.Add((o.GetProperty("chain").GetString()!, new NftRuleState(
                            o.GetProperty("handle").GetUInt64(), StringOrNull(o, "comment"), o.GetProperty("expr").Clone())));
                        break;
                    case "set":
                        sets.Add(ParseSet(o, isMap: false));
                        break;
                    case "map":
                        maps.Add(ParseSet(o, isMap: true));
                        break;
                }
            }
        }

        var chainStates = chains
            .Select(c => new NftChainState(c.Name, c.Handle, c.Type, c.Hook, c.Priority, c.Policy,
                rules.Where(r => r.Chain == c.Name).Select(r => r.Rule).ToList()))
            .ToList();
        return new NftTableState(family, tableName, tableHandle, chainStates, sets, maps);
    }

    private static NftSetState ParseSet(JsonElement o, bool isMap)
    {
        var flags = o.TryGetProperty("flags", out var f)
            ? f.ValueKind == JsonValueKind.Array ? f.EnumerateArray().Select(x => x.GetString()!).ToList() : [f.GetString()!]
            : new List<string>();
        var elements = new List<NftElementState>();
        if (o.TryGetProperty("elem", out var elem))
        {
            foreach (var e in elem.EnumerateArray())
            {
                // Map elements are [key, value] pairs; a key with a comment is wrapped as {"elem": {"val": key, "comment": ...}}.
                var key = isMap ? e[0] : e;
                string? comment = null;
                if (key.ValueKind == JsonValueKind.Object && key.TryGetProperty("elem", out var wrapped))
                {
                    comment = StringOrNull(wrapped, "comment");
                    key = wrapped.GetProperty("val");
                }
                elements.Add(new NftElementState(Text(key), isMap ? Text(e[1]) : null, comment));
            }
        }
        return new NftSetState(
            o.GetProperty("name").GetString()!, o.GetProperty("handle").GetUInt64(),
            TypeText(o.GetProperty("type")), isMap ? TypeText(o.GetProperty("map")) : null,
            flags, StringOrNull(o, "comment"), elements);
    }

    private static string TypeText(JsonElement type) =>
        type.ValueKind == JsonValueKind.Array ? string.Join(" . ", type.EnumerateArray().Select(t => t.GetString())) : type.GetString()!;

    /// <summary>An element key or value back in nft's text form, for the shapes sets and maps use.</summary>
    internal static string Text(JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.String:
                return e.GetString()!;
            case JsonValueKind.Number:
                return e.GetRawText();
            case JsonValueKind.Object:
                var property = e.EnumerateObject().First();
                var v = property.Value;
                return property.Name switch
                {
                    "concat" => string.Join(" . ", v.EnumerateArray().Select(Text)),
                    "prefix" => $"{Text(v.GetProperty("addr"))}/{v.GetProperty("len").GetRawText()}",
                    "range" => $"{Text(v[0])}-{Text(v[1])}",
                    "elem" => Text(v.GetProperty("val")),
                    "jump" or "goto" => $"{property.Name} {v.GetProperty("target").GetString()}",
                    "accept" or "drop" or "continue" or "return" => property.Name,
                    _ => e.GetRawText(),
                };
            default:
                return e.GetRawText();
        }
    }

    private static string? StringOrNull(JsonElement o, string name) =>
        o.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
