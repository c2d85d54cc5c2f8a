using System.Text.RegularExpressions;

namespace Kybernet.Api.Names;

/// <summary>
/// Label keys (qualified names: an optional DNS-subdomain prefix and '/', then a name of ≤63
/// characters) and label values (≤63, possibly empty), with Kubernetes' messages.
/// </summary>
public static partial class LabelSyntax
{
    public const int NameMaxLength = 63;
    public const int ValueMaxLength = 63;

    internal const string QualifiedNameFormat = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
    internal const string LabelValueFormat = "(" + QualifiedNameFormat + ")?";
    internal const string QualifiedNameMessage =
        "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
    internal const string LabelValueMessage =
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

    [GeneratedRegex("^" + QualifiedNameFormat + "\\z", RegexOptions.CultureInvariant)]
    private static partial Regex QualifiedNameRegex();

    [GeneratedRegex("^" + LabelValueFormat + "\\z", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValueRegex();

    /// <summary>A label or annotation key: <c>[prefix/]name</c>.</summary>
    public static IReadOnlyList<string> IsQualifiedName(string value)
    {
        var errors = new List<string>();
        var parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                var prefix = parts[0];
                name = parts[1];
                if (prefix.Length == 0)
                    errors.Add("prefix part " + ValidationMessages.Empty);
                else
                    errors.AddRange(NameValidation.IsDns1123Subdomain(prefix).Select(m => "prefix part " + m));
                break;
            default:
                errors.Add("a qualified name " + NameMessage() +
                           " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return errors;
        }

        if (name.Length == 0)
            errors.Add("name part " + ValidationMessages.Empty);
        else if (name.Length > NameMaxLength)
            errors.Add("name part " + ValidationMessages.MaxLen(NameMaxLength));
        if (!QualifiedNameRegex().IsMatch(name))
            errors.Add("name part " + NameMessage());
        return errors;
    }

    /// <summary>A label value: empty, or ≤63 of [A-Za-z0-9._-] with alphanumerics at both ends.</summary>
    public static IReadOnlyList<string> IsValidLabelValue(string value)
    {
        var errors = new List<string>();
        if (value.Length > ValueMaxLength)
            errors.Add(ValidationMessages.MaxLen(ValueMaxLength));
        if (!LabelValueRegex().IsMatch(value))
            errors.Add(ValidationMessages.Regex(LabelValueMessage, LabelValueFormat, "MyValue", "my_value", "12345"));
        return errors;
    }

    private static string NameMessage() =>
        ValidationMessages.Regex(QualifiedNameMessage, QualifiedNameFormat, "MyName", "my.name", "123-abc");
}
