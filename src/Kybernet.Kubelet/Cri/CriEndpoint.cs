namespace Kybernet.Kubelet.Cri;

/// <summary>
/// The runtime's endpoint as the kubelet's --container-runtime-endpoint takes it: "unix:///run/containerd/containerd.sock"
/// or a plain absolute path. Only unix sockets: CRI runtimes listen on nothing else on Linux.
/// </summary>
public static class CriEndpoint
{
    private const string UnixScheme = "unix://";

    /// <summary>The socket path of <paramref name="endpoint"/>; an <see cref="ArgumentException"/> naming it when it is neither form.</summary>
    public static string SocketPath(string endpoint)
    {
        var path = endpoint.StartsWith(UnixScheme, StringComparison.Ordinal) ? endpoint[UnixScheme.Length..] : endpoint;
        if (path.Length == 0 || path[0] != '/' || path.Contains("://", StringComparison.Ordinal))
            throw new ArgumentException($"container runtime endpoint '{endpoint}': expected unix:///absolute/path or an absolute socket path", nameof(endpoint));
        return path;
    }
}
