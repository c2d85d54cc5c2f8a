using System.Collections.Concurrent;
using Kybernet.Kubelet.Pods.Probes;

namespace Kybernet.Kubelet.Tests.Pods.Probes;

/// <summary>A fake runtime exec: answers each call with the next scripted result (the last one repeats).</summary>
public sealed class ScriptedExec(params Func<ExecResult>[] answers) : IContainerExec
{
    private int _calls;

    public ConcurrentQueue<(string ContainerId, IReadOnlyList<string> Command, TimeSpan Timeout)> Calls { get; } = new();

    public int CallCount => Volatile.Read(ref _calls);

    public static Func<ExecResult> Exit(int code, string output = "") => () => new ExecResult(code, output);

    public static Func<ExecResult> Throws(Exception e) => () => throw e;

    public Task<ExecResult> ExecAsync(string containerId, IReadOnlyList<string> command, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Calls.Enqueue((containerId, command, timeout));
        var index = Interlocked.Increment(ref _calls) - 1;
        return Task.FromResult(answers[Math.Min(index, answers.Length - 1)]());
    }
}
