using System.Collections.Concurrent;

namespace Kybernet.Kubelet.Pods;

/// <summary>
/// Restart back-off per pod UID and container name, as upstream's kubelet: the first restart is immediate, then the
/// wait is 10 s doubling to 300 s, counted from when the container last exited. An entry whose last restart is more
/// than twice the maximum (10 min) before the latest exit is forgotten, so a container that ran 10 minutes starts
/// again from 10 s.
/// </summary>
public sealed class CrashLoopBackOff(TimeProvider time, TimeSpan? initial = null, TimeSpan? maximum = null)
{
    public static readonly TimeSpan DefaultInitial = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan DefaultMaximum = TimeSpan.FromSeconds(300);

    private readonly TimeSpan _initial = initial ?? DefaultInitial;
    private readonly TimeSpan _maximum = maximum ?? DefaultMaximum;
    private readonly ConcurrentDictionary<(string PodUid, string Container), Entry> _entries = new();

    private sealed record Entry(TimeSpan Period, DateTimeOffset LastUpdate);

    /// <summary>
    /// Asks to start <paramref name="container"/> again after it exited at <paramref name="finishedAt"/>. When the
    /// answer is yes, the back-off advances (the caller is expected to start it now); when no, nothing changes.
    /// </summary>
    public BackOffDecision TryStart(string podName, string podNamespace, string podUid, string container, DateTimeOffset finishedAt)
    {
        var key = (podUid, container);
        var now = time.GetUtcNow();
        if (_entries.TryGetValue(key, out var entry) && !HasExpired(finishedAt, entry.LastUpdate))
        {
            var elapsed = now - finishedAt;
            if (elapsed < entry.Period)
            {
                var pod = $"{podName}_{podNamespace}({podUid})";
                return new BackOffDecision(
                    false,
                    entry.Period - elapsed,
                    entry.Period,
                    $"back-off {GoDuration.Format(entry.Period)} restarting failed container={container} pod={pod}",
                    $"Back-off restarting failed container {container} in pod {pod}");
            }
            _entries[key] = new Entry(Min(entry.Period * 2, _maximum), now);
        }
        else
        {
            _entries[key] = new Entry(_initial, now);
        }
        return BackOffDecision.Start;
    }

    /// <summary>The current back-off period of a container (zero when it has none).</summary>
    public TimeSpan Period(string podUid, string container) =>
        _entries.TryGetValue((podUid, container), out var entry) ? entry.Period : TimeSpan.Zero;

    /// <summary>Forgets every container of a pod (the pod is gone).</summary>
    public void Forget(string podUid)
    {
        foreach (var key in _entries.Keys)
        {
            if (key.PodUid == podUid)
                _entries.TryRemove(key, out _);
        }
    }

    /// <summary>Drops entries untouched for twice the maximum: they would be reset anyway.</summary>
    public void Collect()
    {
        var now = time.GetUtcNow();
        foreach (var (key, entry) in _entries)
        {
            if (now - entry.LastUpdate > _maximum * 2)
                _entries.TryRemove(key, out _);
        }
    }

    // Stable for twice the maximum back-off since the last restart: start over.
    private bool HasExpired(DateTimeOffset exitedAt, DateTimeOffset lastUpdate) => exitedAt - lastUpdate > _maximum * 2;

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
