namespace Kybernet.Kubelet.Pods.Probes;

/// <summary>What an exec probe needs from the runtime: run a command in a container and wait (CRI ExecSync).</summary>
public interface IContainerExec
{
    /// <summary>
    /// Runs <paramref name="command"/> in the container and returns its exit code with stdout and stderr together.
    /// Throws <see cref="TimeoutException"/> when the command outlives <paramref name="timeout"/>; any other exception
    /// means the runtime could not run it.
    /// </summary>
    Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken);
}

/// <summary>A finished command: its exit code and its combined output.</summary>
public sealed record ExecResult(int ExitCode, string Output);
