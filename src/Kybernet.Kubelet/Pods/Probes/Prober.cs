using k8s.Models;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Pods.Probes;

/// <summary>
/// Runs a container's probe (exec, httpGet, tcpSocket) once and turns the check into upstream's result and event
/// wording: "Liveness probe failed: HTTP probe failed with statuscode: 500". A probe that errors (it could not run)
/// is retried up to three times, then its result is Unknown and thrown away, as upstream does.
/// </summary>
public sealed class Prober(IContainerExec exec, HttpProber http, TcpProber tcp, ILogger logger)
{
    public const int MaxRetries = 3;
    private readonly ExecProber _exec = new(exec);

    public async Task<ProbeOutcome> ProbeAsync(ProbeKind kind, V1Probe probe, V1Container container, string containerId, string? podIP, CancellationToken cancellationToken)
    {
        ProbeCheck check = ProbeCheck.Error("no probe ran");
        for (var attempt = 0; attempt < MaxRetries; attempt++)
        {
            check = await RunOnceAsync(probe, container, containerId, podIP, cancellationToken).ConfigureAwait(false);
            if (check.Status != ProbeCheckStatus.Error)
                break;
        }
        var label = kind.Label();
        switch (check.Status)
        {
            case ProbeCheckStatus.Success:
                return new ProbeOutcome(ProbeResult.Success, null, null);
            case ProbeCheckStatus.Warning:
                return new ProbeOutcome(ProbeResult.Success, ProbeOutcome.ProbeWarning, $"{label} probe warning: {check.Output}");
            case ProbeCheckStatus.Failure:
                logger.LogInformation("{Kind} probe of container {Container} ({Id}) failed: {Output}", label, container.Name, containerId, check.Output);
                return new ProbeOutcome(ProbeResult.Failure, ProbeOutcome.Unhealthy, $"{label} probe failed: {check.Output}");
            default:
                logger.LogWarning("{Kind} probe of container {Container} ({Id}) errored: {Error}", label, container.Name, containerId, check.Output);
                return new ProbeOutcome(ProbeResult.Unknown, ProbeOutcome.Unhealthy, $"{label} probe errored and resulted in unknown state: {check.Output}");
        }
    }

    private async Task<ProbeCheck> RunOnceAsync(V1Probe probe, V1Container container, string containerId, string? podIP, CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromSeconds(Math.Max(1, probe.TimeoutSeconds ?? 1));
        if (probe.Exec is { } execAction)
            return await _exec.ProbeAsync(containerId, (execAction.Command ?? []).ToList(), timeout, cancellationToken).ConfigureAwait(false);

        if (probe.HttpGet is { } get)
        {
            if (HttpGetTarget.Resolve(get, container, podIP, out var error) is not { } target)
                return ProbeCheck.Error(error);
            return await http.ProbeAsync(target.Url, target.Headers, timeout, cancellationToken).ConfigureAwait(false);
        }

        if (probe.TcpSocket is { } socket)
        {
            if (!ContainerPorts.TryResolve(socket.Port, container, out var port, out var error))
                return ProbeCheck.Error(error);
            var host = string.IsNullOrEmpty(socket.Host) ? podIP : socket.Host;
            if (string.IsNullOrEmpty(host))
                return ProbeCheck.Error("the pod has no IP yet");
            return await tcp.ProbeAsync(host, port, timeout, cancellationToken).ConfigureAwait(false);
        }

        // gRPC health checks would need the grpc.health.v1 client; until then such a probe errors (result thrown away).
        return probe.Grpc is not null
            ? ProbeCheck.Error("grpc probes are not supported by this kubelet")
            : ProbeCheck.Error($"missing probe handler for {container.Name}");
    }
}
