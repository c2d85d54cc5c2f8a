using Google.Protobuf;

namespace Kybernet.Store.Etcd;

/// <summary>The contract's keys (relative, text) to etcd's (under the prefix, bytes), and back.</summary>
internal sealed class EtcdKeys(string prefix)
{
    private static readonly ByteString Zero = ByteString.CopyFrom(0);

    public ByteString Full(string key) => ByteString.CopyFromUtf8(prefix + key);

    /// <summary>
    /// etcd's [key, range_end): empty range_end for one key, the prefix "plus one" for a prefix (from
    /// its start key, for a paged one).
    /// </summary>
    public (ByteString Key, ByteString RangeEnd) Range(KeyRange range)
    {
        var key = Full(range.Key);
        if (!range.IsPrefix)
        {
            return (key, ByteString.Empty);
        }
        // etcd spells "to the end of the key space" as range_end "\0", and "every key" as key "\0" too.
        var end = key.IsEmpty ? Zero : PrefixEnd(key.Span);
        var start = range.From is null ? key : Full(range.From);
        return (start.IsEmpty ? Zero : start, end);
    }

    /// <summary>The smallest key after every key starting with <paramref name="prefix"/> (clientv3's GetPrefixRangeEnd).</summary>
    internal static ByteString PrefixEnd(ReadOnlySpan<byte> prefix)
    {
        for (var i = prefix.Length - 1; i >= 0; i--)
        {
            if (prefix[i] < 0xff)
            {
                var end = prefix[..(i + 1)].ToArray();
                end[i]++;
                return ByteString.CopyFrom(end);
            }
        }
        return Zero; // all 0xff: to the end of the key space
    }

    public string Relative(ByteString key)
    {
        var full = key.ToStringUtf8();
        return full.StartsWith(prefix, StringComparison.Ordinal)
            ? full[prefix.Length..]
            : throw new InvalidOperationException($"etcd returned key {full} outside the store's prefix {prefix}");
    }

    public KeyValue ToKeyValue(Mvccpb.KeyValue kv) =>
        new(Relative(kv.Key), kv.Value.Memory, kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease);

    public WatchEvent ToWatchEvent(Mvccpb.Event ev) => new(
        ev.Type == Mvccpb.Event.Types.EventType.Delete ? WatchEventType.Delete : WatchEventType.Put,
        ToKeyValue(ev.Kv),
        ev.PrevKv is { } prev ? ToKeyValue(prev) : null);
}
