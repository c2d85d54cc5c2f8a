using Kybernet.ApiServer.Http;

namespace Kybernet.ApiServer.Admission;

/// <summary>The field problems of a 422 Invalid answer, worded as upstream's field errors are.</summary>
public static class Causes
{
    public static StatusCause Required(string field, string message = "Required value") => new("FieldValueRequired", message, field);

    public static StatusCause Invalid(string field, string value, string message) =>
        new("FieldValueInvalid", $"Invalid value: \"{value}\": {message}", field);

    public static StatusCause Immutable(string field, string value) => Invalid(field, value, "field is immutable");

    public static StatusCause Forbidden(string field, string message) => new("FieldValueForbidden", $"Forbidden: {message}", field);

    /// <summary>Upstream's field.TooLong (k8s 1.32 wording): the value itself is left out of the message.</summary>
    public static StatusCause TooLong(string field, long maxBytes) => new("FieldValueTooLong", $"Too long: may not be more than {maxBytes} bytes", field);

    public static StatusCause Duplicate(string field, string value) => new("FieldValueDuplicate", $"Duplicate value: \"{value}\"", field);

    public static StatusCause NotSupported(string field, string value, IEnumerable<string> supported) =>
        new("FieldValueNotSupported", $"Unsupported value: \"{value}\": supported values: {string.Join(", ", supported.Select(s => $"\"{s}\""))}", field);
}
