using System.Net.Sockets;

namespace Kybernet.Kubelet.Pods.Probes;

/// <summary>
/// Makes the sockets HTTP and TCP probes connect with. The kubelet's default opens them in its own network namespace;
/// tests open them inside a test namespace (a socket keeps the namespace it was created in).
/// </summary>
public delegate Socket ProbeSocketFactory(AddressFamily family);

public static class ProbeSockets
{
    public static readonly ProbeSocketFactory Default = family => new Socket(family, SocketType.Stream, ProtocolType.Tcp);
}
