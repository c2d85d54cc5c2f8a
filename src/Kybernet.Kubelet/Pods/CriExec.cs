using Grpc.Core;
using Kybernet.Kubelet.Cri;
using Kybernet.Kubelet.Pods.Probes;

namespace Kybernet.Kubelet.Pods;

/// <summary>
/// Exec probes run through CRI's ExecSync; the runtime enforces the timeout, which comes back as a deadline error.
/// Probes name containers in API form ("containerd://…"); CRI wants the bare id.
/// </summary>
public sealed class CriExec(CriRuntime runtime) : IContainerExec
{
    public async Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var result = await runtime.ExecSyncAsync(RuntimeInstances.RuntimeId(containerId), command, timeout, cancellationToken);
            return new ExecResult(result.ExitCode, result.Stdout.ToStringUtf8() + result.Stderr.ToStringUtf8());
        }
        catch (CriException e) when (e.Code == StatusCode.DeadlineExceeded)
        {
            throw new TimeoutException($"command {string.Join(' ', command)} timed out after {timeout.TotalSeconds:0.#}s", e);
        }
    }
}
