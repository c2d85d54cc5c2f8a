namespace Kybernet.Kubelet.Pods.Probes;

/// <summary>A failed connect, its message worded as Go's net.Dial error ("dial tcp 10.244.1.5:80: connect: connection refused").</summary>
public sealed class ProbeDialException(string message, Exception? inner = null) : Exception(message, inner);
