namespace Kybernet.Streams;

/// <summary>The names Kubernetes' streaming requests negotiate, and the channel numbers of its channel protocols.</summary>
public static class StreamProtocols
{
    /// <summary>The HTTP upgrade to SPDY (the Upgrade header's value).</summary>
    public const string Spdy = "SPDY/3.1";

    /// <summary>Header both ends list their remote command or port-forward protocol versions in (SPDY upgrades).</summary>
    public const string VersionHeader = "X-Stream-Protocol-Version";

    /// <summary>Remote command over SPDY, as kubelets and container runtimes serve it: error, stdin, stdout, stderr, resize streams.</summary>
    public const string RemoteCommandV4 = "v4.channel.k8s.io";

    /// <summary>Remote command over a WebSocket with a close channel (kubectl 1.29 and later): stdin can end without the session.</summary>
    public const string WebSocketV5 = "v5.channel.k8s.io";

    /// <summary>Port-forward over SPDY: a data and an error stream per forwarded connection.</summary>
    public const string PortForward = "portforward.k8s.io";

    /// <summary>Port-forward's SPDY carried inside WebSocket binary messages (kubectl 1.31 and later ask for this first).</summary>
    public const string TunnelledPortForward = "SPDY/3.1+portforward.k8s.io";

    /// <summary>The <c>streamtype</c> header of a SPDY stream, and its values.</summary>
    public const string StreamType = "streamtype";

    public const string Error = "error", Stdin = "stdin", Stdout = "stdout", Stderr = "stderr", Resize = "resize";

    /// <summary>Channel numbers: a WebSocket message's first byte.</summary>
    public const byte StdinChannel = 0, StdoutChannel = 1, StderrChannel = 2, ErrorChannel = 3, ResizeChannel = 4, CloseChannel = 255;
}
