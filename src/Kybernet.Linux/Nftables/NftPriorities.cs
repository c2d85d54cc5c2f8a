using System.Globalization;

namespace Kybernet.Linux.Nftables;

/// <summary>
/// nft's standard base-chain priority names ("dstnat", "filter + 10") and the numbers they stand for, per family,
/// with the hooks nft 1.0.6 accepts each name on (it refuses "dstnat" on output, say).
/// </summary>
internal static class NftPriorities
{
    private static readonly (string Name, int Value, NftHook[]? Hooks)[] Inet =
    [
        ("raw", -300, null), ("mangle", -150, null), ("dstnat", -100, [NftHook.Prerouting]),
        ("filter", 0, null), ("security", 50, null), ("srcnat", 100, [NftHook.Postrouting]),
    ];

    private static readonly (string Name, int Value, NftHook[]? Hooks)[] Bridge =
    [
        ("dstnat", -300, [NftHook.Prerouting]), ("filter", -200, null), ("out", 100, [NftHook.Output]), ("srcnat", 300, [NftHook.Postrouting]),
    ];

    private static readonly (string Name, int Value, NftHook[]? Hooks)[] FilterOnly = [("filter", 0, null)];

    /// <summary>The number a priority stands for on this family and hook; null (with <paramref name="error"/>) if nft would refuse it.</summary>
    public static int? Resolve(string priority, NftFamily family, NftHook hook, out string? error)
    {
        error = null;
        if (int.TryParse(priority, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int number))
            return number;
        var parts = priority.Split(' ');
        var name = parts[0];
        int offset = parts.Length == 3 ? int.Parse(parts[2], CultureInfo.InvariantCulture) * (parts[1] == "-" ? -1 : 1) : 0;
        var names = family switch
        {
            NftFamily.Bridge => Bridge,
            NftFamily.Arp or NftFamily.Netdev => FilterOnly,
            _ => Inet,
        };
        foreach (var (known, value, hooks) in names)
        {
            if (known == name && (hooks is null || hooks.Contains(hook)))
                return value + offset;
        }
        error = "invalid priority expression value in this context."; // nft's words
        return null;
    }
}
