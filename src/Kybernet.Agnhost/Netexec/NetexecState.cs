namespace Kybernet.Agnhost.Netexec;

/// <summary>What /healthz and /readyz report: the UDP server is up (upstream's "server ready"), SIGTERM has come.</summary>
public sealed class NetexecState
{
    private volatile bool _udpReady;
    private volatile bool _terminating;

    public bool UdpReady { get => _udpReady; set => _udpReady = value; }
    public bool Terminating { get => _terminating; set => _terminating = value; }
}
