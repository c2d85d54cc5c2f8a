using System.Text;

namespace Kybernet.Store;

/// <summary>
/// One key; every key starting with a prefix (etcd's [key, range_end) with range_end = prefix+1); or
/// the keys of a prefix from a start key on, [from, prefix+1), which is how a paginated list reads
/// its next page.
/// </summary>
public sealed record KeyRange(string Key, bool IsPrefix, string? From = null)
{
    public static KeyRange Single(string key) => new(key, false);
    public static KeyRange Prefix(string prefix) => new(prefix, true);

    /// <summary>The keys starting with <paramref name="prefix"/> that sort at or after <paramref name="from"/> (a key of the prefix).</summary>
    public static KeyRange PrefixFrom(string prefix, string from) => from.StartsWith(prefix, StringComparison.Ordinal)
        ? new(prefix, true, from)
        : throw new ArgumentException($"start key {from} is outside the prefix {prefix}", nameof(from));

    /// <summary>The first key the range can hold: the key, the prefix, or the start key of a paged prefix.</summary>
    public string Start => From ?? Key;

    public bool Contains(string key) => IsPrefix
        ? key.StartsWith(Key, StringComparison.Ordinal) && (From is null || CompareAsBytes(key, From) >= 0)
        : key == Key;

    /// <summary>Keys sort as their UTF-8 bytes (etcd's and the SQLite store's order), not as UTF-16 strings.</summary>
    private static int CompareAsBytes(string a, string b) =>
        Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));

    public override string ToString() => !IsPrefix ? Key : From is null ? Key + "*" : $"{Key}* from {From}";
}
