using k8s.Models;
using Kybernet.Kubelet.Cri;
using Kybernet.Kubelet.Pods.Probes;

namespace Kybernet.Kubelet.Pods;

/// <summary>
/// A container's preStop hook as upstream runs it before SIGTERM: a command in the container (CRI ExecSync), or an
/// HTTP GET to the pod (host defaulting to the pod's IP, the port by number or by the container's port name).
/// Bounded by the grace period. A failed hook is reported (upstream's FailedPreStopHook event), never a reason not
/// to stop the container.
/// </summary>
public sealed class PreStopHook(CriRuntime runtime, HttpProber http)
{
    /// <summary>Runs the container's preStop hook, if it has one; returns why it failed, or null.</summary>
    public async Task<string?> RunAsync(V1Pod pod, V1Container container, string containerId, TimeSpan timeout, CancellationToken ct)
    {
        var hook = container.Lifecycle?.PreStop;
        if (hook?.Exec?.Command is { Count: > 0 } command)
        {
            try
            {
                var result = await runtime.ExecSyncAsync(containerId, command, timeout, ct);
                return result.ExitCode == 0 ? null
                    : $"PreStopHook failed: command '{string.Join(' ', command)}' exited with {result.ExitCode}: {result.Stderr.ToStringUtf8()}";
            }
            catch (CriException e)
            {
                return $"PreStopHook failed: {e.RuntimeMessage}";
            }
        }
        if (hook?.HttpGet is { } get)
        {
            var failed = $"HTTP lifecycle hook ({get.Path}) for Container \"{container.Name}\" in Pod \"{pod.Metadata.Name}_{pod.Metadata.NamespaceProperty}({pod.Metadata.Uid})\" failed - error: ";
            if (HttpGetTarget.Resolve(get, container, pod.Status?.PodIP, out var error) is not { } target)
                return failed + error;
            var check = await http.ProbeAsync(target.Url, target.Headers, timeout, ct);
            return check.Status is ProbeCheckStatus.Success or ProbeCheckStatus.Warning ? null : failed + check.Output;
        }
        return null;
    }
}
