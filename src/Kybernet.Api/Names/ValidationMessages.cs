namespace Kybernet.Api.Names;

/// <summary>The message fragments Kubernetes' validation package builds its errors from.</summary>
internal static class ValidationMessages
{
    public static string MaxLen(int length) => $"must be no more than {length} characters";

    public const string Empty = "must be non-empty";

    /// <summary>
    /// Kubernetes' RegexError: <c>msg (e.g. 'a',  or 'b', regex used for validation is 'fmt')</c>
    /// (the doubled space between examples is upstream's).
    /// </summary>
    public static string Regex(string message, string format, params string[] examples)
    {
        if (examples.Length == 0)
            return $"{message} (regex used for validation is '{format}')";
        var text = message + " (e.g. ";
        for (var i = 0; i < examples.Length; i++)
        {
            if (i > 0) text += " or ";
            text += "'" + examples[i] + "', ";
        }
        return text + "regex used for validation is '" + format + "')";
    }
}
