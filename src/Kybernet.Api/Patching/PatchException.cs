namespace Kybernet.Api.Patching;

/// <summary>How the API server should answer a patch that could not be applied.</summary>
/// <remarks>
/// Kubernetes (apiserver handlers/patch.go) answers a patch document it cannot decode with
/// 400 BadRequest, and a well-formed patch that cannot be applied to the object with
/// 422 Unprocessable Entity (reason Invalid). A failed JSON-patch <c>test</c> operation is
/// one of the latter: real Kubernetes answers 422, not 409, and so should we.
/// </remarks>
public enum PatchFailure
{
    /// <summary>The patch document itself is malformed: 400 BadRequest.</summary>
    BadRequest,

    /// <summary>The patch is well formed but does not apply to this object: 422 Invalid.</summary>
    Unprocessable,

    /// <summary>A JSON-patch <c>test</c> operation failed: 422 Invalid, as Kubernetes does.</summary>
    TestFailed,
}

/// <summary>A patch could not be applied. The message names the operation and path when there is one.</summary>
public sealed class PatchException : Exception
{
    public PatchException(PatchFailure failure, string message, int? operationIndex = null, string? path = null)
        : base(message)
    {
        Failure = failure;
        OperationIndex = operationIndex;
        Path = path;
    }

    public PatchFailure Failure { get; }

    /// <summary>Index of the failing operation in a JSON patch, if any.</summary>
    public int? OperationIndex { get; }

    /// <summary>JSON pointer (JSON patch) or dotted field path (merge patches) where it failed, if known.</summary>
    public string? Path { get; }

    /// <summary>The HTTP status code Kubernetes would answer with: 400 or 422.</summary>
    public int StatusCode => Failure == PatchFailure.BadRequest ? 400 : 422;
}
