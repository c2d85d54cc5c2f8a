using System.Text.RegularExpressions;

namespace Kybernet.Api.Names;

/// <summary>
/// Kubernetes' name checks (k8s.io/apimachinery/pkg/util/validation): each returns the list of
/// problems with Kubernetes' wording, empty when the value is valid.
/// </summary>
public static partial class NameValidation
{
    public const int Dns1123LabelMaxLength = 63;
    public const int Dns1123SubdomainMaxLength = 253;
    public const int Dns1035LabelMaxLength = 63;

    internal const string Dns1123LabelFormat = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    internal const string Dns1123SubdomainFormat = Dns1123LabelFormat + "(\\." + Dns1123LabelFormat + ")*";
    internal const string Dns1035LabelFormat = "[a-z]([-a-z0-9]*[a-z0-9])?";

    internal const string Dns1123LabelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
    internal const string Dns1123SubdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
    internal const string Dns1035LabelMessage =
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";

    // \z, not $: .NET's $ also matches before a final newline, Go's does not.
    [GeneratedRegex("^" + Dns1123LabelFormat + "\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1123LabelRegex();

    [GeneratedRegex("^" + Dns1123SubdomainFormat + "\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1123SubdomainRegex();

    [GeneratedRegex("^" + Dns1035LabelFormat + "\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1035LabelRegex();

    /// <summary>A DNS-1123 label (namespaces, most DNS-bound names): ≤63, [a-z0-9-], alphanumeric at both ends.</summary>
    public static IReadOnlyList<string> IsDns1123Label(string value)
    {
        var errors = new List<string>();
        if (value.Length > Dns1123LabelMaxLength)
            errors.Add(ValidationMessages.MaxLen(Dns1123LabelMaxLength));
        if (!Dns1123LabelRegex().IsMatch(value))
        {
            // A valid subdomain that is no label: the length is checked above, so it has dots.
            errors.Add(Dns1123SubdomainRegex().IsMatch(value)
                ? "must not contain dots"
                : ValidationMessages.Regex(Dns1123LabelMessage, Dns1123LabelFormat, "my-name", "123-abc"));
        }
        return errors;
    }

    /// <summary>A DNS-1123 subdomain (most object names): ≤253, dot-separated DNS-1123 labels.</summary>
    public static IReadOnlyList<string> IsDns1123Subdomain(string value)
    {
        var errors = new List<string>();
        if (value.Length > Dns1123SubdomainMaxLength)
            errors.Add(ValidationMessages.MaxLen(Dns1123SubdomainMaxLength));
        if (!Dns1123SubdomainRegex().IsMatch(value))
            errors.Add(ValidationMessages.Regex(Dns1123SubdomainMessage, Dns1123SubdomainFormat, "example.com"));
        return errors;
    }

    /// <summary>A DNS-1035 label (Service names): ≤63, starts with a letter, ends alphanumeric.</summary>
    public static IReadOnlyList<string> IsDns1035Label(string value)
    {
        var errors = new List<string>();
        if (value.Length > Dns1035LabelMaxLength)
            errors.Add(ValidationMessages.MaxLen(Dns1035LabelMaxLength));
        if (!Dns1035LabelRegex().IsMatch(value))
            errors.Add(ValidationMessages.Regex(Dns1035LabelMessage, Dns1035LabelFormat, "my-name", "abc-123"));
        return errors;
    }

    /// <summary>
    /// For a <c>metadata.generateName</c> prefix: Kubernetes validates it with a trailing '-'
    /// masked (the random suffix follows it), so "web-" is a valid prefix.
    /// </summary>
    public static string MaskTrailingDash(string prefix) =>
        prefix.Length > 1 && prefix[^1] == '-' ? prefix[..^1] + "a" : prefix;
}
