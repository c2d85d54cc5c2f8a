using Kybernet.Kubelet.Cri;
using Kybernet.Kubelet.Cri.V1;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Node;

/// <summary>
/// What the node's Ready condition says about the runtime, from CRI Status. A condition the runtime reports false
/// (RuntimeReady, NetworkReady) counts at once; a runtime that does not answer counts only after
/// <see cref="DownAfter"/> without an answer (upstream's 30 s), so a containerd restart, which its shims and pods
/// survive, does not turn the node NotReady and push the scheduler away from it.
/// </summary>
public sealed class RuntimeHealth(TimeProvider time, ILogger log)
{
    public static readonly TimeSpan DownAfter = TimeSpan.FromSeconds(30);

    // The kubelet starts after the runtime answered Version: that counts as the first answer.
    private DateTimeOffset _lastAnswer = time.GetUtcNow();

    /// <summary>Asks the runtime for its Status and returns why it is not ready (empty when it is).</summary>
    public async Task<IReadOnlyList<string>> ProblemsAsync(CriConnection cri, CancellationToken cancellationToken)
    {
        try
        {
            return Answered(await cri.StatusAsync(TimeSpan.FromSeconds(5), cancellationToken));
        }
        catch (CriException e)
        {
            return Unanswered(e.Message);
        }
    }

    /// <summary>The runtime answered: its false conditions, in upstream's wording.</summary>
    public IReadOnlyList<string> Answered(StatusResponse status)
    {
        _lastAnswer = time.GetUtcNow();
        return [.. status.Status.Conditions.Where(c => !c.Status).Select(c =>
            $"container runtime {(c.Type == "NetworkReady" ? "network " : "")}not ready: {c.Type}={c.Status} reason:{c.Reason} message:{c.Message}")];
    }

    /// <summary>The runtime did not answer: down once it has been silent for <see cref="DownAfter"/>.</summary>
    public IReadOnlyList<string> Unanswered(string error)
    {
        var silent = time.GetUtcNow() - _lastAnswer;
        if (silent < DownAfter)
        {
            log.LogWarning("the runtime did not answer Status ({Error}); silent for {Silent:F0} s, the node stays Ready until {DownAfter} s", error, silent.TotalSeconds, DownAfter.TotalSeconds);
            return [];
        }
        return [$"container runtime is down: {error}"];
    }
}
