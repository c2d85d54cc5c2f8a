using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Http;

/// <summary>One field-level problem of an Invalid (422) answer.</summary>
public sealed record StatusCause(string Reason, string Message, string Field);

/// <summary>
/// A request the server refuses, answered as a Kubernetes Status: kubectl prints it as
/// "Error from server (Reason): message".
/// </summary>
public sealed class ApiException : Exception
{
    public ApiException(int code, string reason, string message, string? name = null, string? group = null, string? kind = null,
        IReadOnlyList<StatusCause>? causes = null)
        : base(message)
    {
        Code = code;
        Reason = reason;
        Name = name;
        Group = group;
        Kind = kind;
        Causes = causes ?? [];
    }

    public int Code { get; }
    public string Reason { get; }
    public string? Name { get; }
    public string? Group { get; }
    public string? Kind { get; }
    public IReadOnlyList<StatusCause> Causes { get; }

    /// <summary>A continue token the Status carries in its metadata (a 410 for an expired one hands out a fresh one).</summary>
    public string? Continue { get; init; }

    public static ApiException NotFound(string qualifiedResource, string name, string group, string resource) =>
        new(404, "NotFound", $"{qualifiedResource} \"{name}\" not found", name, group, resource);

    public static ApiException AlreadyExists(string qualifiedResource, string name, string group, string resource) =>
        new(409, "AlreadyExists", $"{qualifiedResource} \"{name}\" already exists", name, group, resource);

    public static ApiException Conflict(string qualifiedResource, string name, string group, string resource) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {qualifiedResource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            name, group, resource);

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiException MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message);

    public static ApiException UnsupportedMediaType(string contentType) =>
        new(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml (got \"{contentType}\")");

    public static ApiException Gone(string message) => new(410, "Expired", message);

    /// <summary>422 with its causes, worded as upstream does: Kind "name" is invalid: field: problem.</summary>
    public static ApiException Invalid(string kind, string name, string group, IReadOnlyList<StatusCause> causes) =>
        new(422, "Invalid", $"{kind} \"{name}\" is invalid: {string.Join(", ", causes.Select(c => $"{c.Field}: {c.Message}"))}",
            name, group, kind, causes);

    public JsonObject ToStatus()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = Continue is null ? new JsonObject() : new JsonObject { ["continue"] = Continue },
            ["status"] = "Failure",
            ["message"] = Message,
            ["reason"] = Reason,
        };
        if (Name is not null || Kind is not null || Causes.Count > 0)
        {
            var details = new JsonObject();
            if (Name is not null) details["name"] = Name;
            if (!string.IsNullOrEmpty(Group)) details["group"] = Group;
            if (Kind is not null) details["kind"] = Kind;
            if (Causes.Count > 0)
                details["causes"] = new JsonArray(Causes.Select(c => (JsonNode?)Cause(c)).ToArray());
            status["details"] = details;
        }
        status["code"] = Code;
        return status;
    }

    /// <summary>A cause as upstream writes it: a cause about no field in particular (an eviction's DisruptionBudget) has none.</summary>
    private static JsonObject Cause(StatusCause c)
    {
        var cause = new JsonObject { ["reason"] = c.Reason, ["message"] = c.Message };
        if (c.Field.Length > 0)
            cause["field"] = c.Field;
        return cause;
    }
}
