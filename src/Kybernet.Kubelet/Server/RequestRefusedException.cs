namespace Kybernet.Kubelet.Server;

/// <summary>A request the kubelet API refuses, with the HTTP status and the words the caller reads (upstream's, where it has them).</summary>
public sealed class RequestRefusedException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
