namespace Kybernet.Kubelet.Pods.Probes;

/// <summary>The exec probe: exit code 0 is success; the command's output is the failure message, as upstream.</summary>
public sealed class ExecProber(IContainerExec exec)
{
    public async Task<ProbeCheck> ProbeAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var result = await exec.ExecAsync(containerId, command, timeout, cancellationToken).ConfigureAwait(false);
            return result.ExitCode == 0 ? ProbeCheck.Success(result.Output) : ProbeCheck.Failure(result.Output);
        }
        catch (TimeoutException)
        {
            // Upstream counts a timed-out command as a failure (not an error) since exec probe timeouts are enforced.
            return ProbeCheck.Failure($"command \"{string.Join(' ', command)}\" timed out");
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return ProbeCheck.Error($"exec {string.Join(' ', command)} in container {containerId}: {e.Message}");
        }
    }
}
