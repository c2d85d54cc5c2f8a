namespace Kybernet.Kubelet.Pods.Probes;

/// <summary>What one check (exec, httpGet, tcpSocket) answered.</summary>
public enum ProbeCheckStatus
{
    Success,
    /// <summary>Counted as success, but worth an event: an HTTP probe stopped at a redirect to another host.</summary>
    Warning,
    Failure,
    /// <summary>The probe could not be run at all (unknown named port, runtime error): upstream throws the result away.</summary>
    Error,
}

/// <summary>One check's status and the text upstream reports with it (HTTP body, command output, dial error).</summary>
public sealed record ProbeCheck(ProbeCheckStatus Status, string Output)
{
    public static ProbeCheck Success(string output = "") => new(ProbeCheckStatus.Success, output);

    public static ProbeCheck Failure(string output) => new(ProbeCheckStatus.Failure, output);

    public static ProbeCheck Error(string output) => new(ProbeCheckStatus.Error, output);
}
