namespace Kybernet.Store;

/// <summary>One key, or every key starting with a prefix (etcd's [key, range_end) with range_end = prefix+1).</summary>
public sealed record KeyRange(string Key, bool IsPrefix)
{
    public static KeyRange Single(string key) => new(key, false);
    public static KeyRange Prefix(string prefix) => new(prefix, true);

    public bool Contains(string key) => IsPrefix ? key.StartsWith(Key, StringComparison.Ordinal) : key == Key;

    public override string ToString() => IsPrefix ? Key + "*" : Key;
}
