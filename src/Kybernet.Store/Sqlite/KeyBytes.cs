using System.Text;

namespace Kybernet.Store.Sqlite;

/// <summary>Keys as the UTF-8 bytes SQLite compares, and a range as etcd's [key, range_end).</summary>
internal static class KeyBytes
{
    public static byte[] Encode(string key) => Encoding.UTF8.GetBytes(key);

    public static string Decode(byte[] key) => Encoding.UTF8.GetString(key);

    /// <summary>The first key after every key with this prefix, or null when there is none ("" or all 0xFF).</summary>
    public static byte[]? PrefixEnd(byte[] prefix)
    {
        for (int i = prefix.Length - 1; i >= 0; i--)
        {
            if (prefix[i] == 0xFF)
                continue;
            var end = prefix[..(i + 1)];
            end[i]++;
            return end;
        }
        return null;
    }
}
