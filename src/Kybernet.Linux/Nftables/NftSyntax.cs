using System.Text;
using System.Text.RegularExpressions;

namespace Kybernet.Linux.Nftables;

/// <summary>
/// Checks the pieces that go into a script and quotes strings, so a bad name fails in C# with the
/// field it came from instead of half-way through nft's parser.
/// </summary>
internal static partial class NftSyntax
{
    /// <summary>nft keeps names in 256-byte buffers, NUL included.</summary>
    public const int MaxNameLength = 255;

    /// <summary>nft refuses longer comments (NFTNL_UDATA_COMMENT_MAXLEN).</summary>
    public const int MaxCommentBytes = 128;

    // nft's own lexer accepts a letter or '_' first, then letters, digits and _ - . /
    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_./-]*$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial Regex WordPattern();

    [GeneratedRegex("^(-?[0-9]+|[a-z]+( [+-] [0-9]+)?)$")]
    private static partial Regex PriorityPattern();

    public static string Name(string? value, string field)
    {
        if (string.IsNullOrEmpty(value) || value.Length > MaxNameLength || !NamePattern().IsMatch(value))
            throw new ArgumentException(
                $"nftables {field} \"{value}\" is invalid: use letters, digits, '_', '-', '.', '/', start with a letter or '_', at most {MaxNameLength} characters",
                field);
        return value;
    }

    /// <summary>A data type, or a concatenation of them ("ipv4_addr . inet_proto . inet_service"), normalized to single spaces.</summary>
    public static string DataType(string? value, string field)
    {
        var parts = (value ?? "").Split('.', StringSplitOptions.TrimEntries);
        if (parts.Any(p => !WordPattern().IsMatch(p)))
            throw new ArgumentException($"nftables {field} \"{value}\" is invalid: expected type names joined by ' . '", field);
        return string.Join(" . ", parts);
    }

    public static string Word(string? value, string field)
    {
        if (value is null || !WordPattern().IsMatch(value))
            throw new ArgumentException($"nftables {field} \"{value}\" is invalid: expected a lowercase keyword", field);
        return value;
    }

    public static string Priority(string? value, string field)
    {
        if (value is null || !PriorityPattern().IsMatch(value))
            throw new ArgumentException($"nftables {field} \"{value}\" is invalid: expected a number, a name (\"dstnat\") or a name with an offset (\"dstnat + 10\")", field);
        return value;
    }

    /// <summary>
    /// A quoted comment. nft's lexer has no escape sequences inside quotes (a string is '"' then
    /// anything but '"'), so text that cannot be quoted is rejected rather than silently changed.
    /// </summary>
    public static string Comment(string value, string field)
    {
        if (value.Contains('"') || value.Any(char.IsControl))
            throw new ArgumentException($"nftables {field} \"{value}\" is invalid: nft cannot quote '\"' or control characters", field);
        if (Encoding.UTF8.GetByteCount(value) > MaxCommentBytes)
            throw new ArgumentException($"nftables {field} is longer than {MaxCommentBytes} bytes: \"{value}\"", field);
        return $"\"{value}\"";
    }

    /// <summary>
    /// Free nft syntax (rule bodies) is trusted code, but it must stay on one line so that one line is
    /// one command and nft's "/dev/stdin:LINE" errors point at the command that failed.
    /// </summary>
    public static string Expression(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value) || value.Any(char.IsControl))
            throw new ArgumentException($"nftables {field} \"{value}\" is invalid: it must be non-empty and on one line", field);
        return value.Trim();
    }

    /// <summary>An element's key part or value: like an expression, and unable to break out of the "{ ... }" around it.</summary>
    public static string ElementPart(string? value, string field)
    {
        Expression(value, field);
        if (value!.IndexOfAny(['{', '}', ',', ';', '"', '#']) >= 0)
            throw new ArgumentException($"nftables {field} \"{value}\" is invalid: it may not contain {{ }} , ; \" or #", field);
        return value.Trim();
    }

    public static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();
}
