using Grpc.Core;

namespace Kybernet.Kubelet.Cri;

/// <summary>
/// A CRI call that failed: names the operation and the runtime's socket, and keeps the gRPC status code (NotFound
/// tells "no such container/image" apart from a runtime that is down) and the runtime's own message, which the
/// kubelet shows to users verbatim (ErrImagePull, FailedCreatePodSandBox).
/// </summary>
public sealed class CriException : Exception
{
    public CriException(string operation, string socket, RpcException inner)
        : base(Describe(operation, socket, inner), inner)
    {
        Operation = operation;
        Socket = socket;
        Code = inner.StatusCode;
        RuntimeMessage = inner.Status.Detail;
    }

    /// <summary>The RPC, e.g. "RunPodSandbox".</summary>
    public string Operation { get; }

    public string Socket { get; }

    public StatusCode Code { get; }

    /// <summary>What the runtime said, without our framing.</summary>
    public string RuntimeMessage { get; }

    public bool IsNotFound => Code == StatusCode.NotFound;

    private static string Describe(string operation, string socket, RpcException e) => e.StatusCode switch
    {
        StatusCode.DeadlineExceeded => $"CRI {operation} on unix://{socket}: no answer before the deadline",
        StatusCode.Unavailable => $"CRI {operation} on unix://{socket}: runtime unavailable: {e.Status.Detail}",
        StatusCode.Cancelled => $"CRI {operation} on unix://{socket}: cancelled",
        _ => $"CRI {operation} on unix://{socket} failed ({e.StatusCode}): {e.Status.Detail}",
    };
}
