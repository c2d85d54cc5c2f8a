namespace Kybernet.Agnhost.Netexec;

/// <summary>netexec's flags, with upstream's names and defaults.</summary>
public sealed record NetexecOptions
{
    public int HttpPort { get; init; } = 8080;
    public int UdpPort { get; init; } = 8081;

    /// <summary>Accepted and ignored unless set: this agnhost has no SCTP server.</summary>
    public int SctpPort { get; init; } = -1;

    public int DelayShutdownSeconds { get; init; }

    /// <summary>Answer every request as if it were a GET of this path and query.</summary>
    public string HttpOverride { get; init; } = "";

    /// <summary>The addresses the UDP server listens on; none: every address.</summary>
    public IReadOnlyList<string> UdpListenAddresses { get; init; } = [];

    public static readonly string[] FlagNames =
        ["http-port", "udp-port", "sctp-port", "delay-shutdown", "http-override", "udp-listen-addresses", "tls-cert-file", "tls-private-key-file"];
}
