using k8s.Models;
using Kybernet.Controllers.Common;

namespace Kybernet.Controllers.Endpoints;

/// <summary>
/// What the endpoints.kubernetes.io/last-change-trigger-time annotation says, as upstream computes it: the time of the
/// earliest change not yet reflected in a write (so a proxy that measures its latency from it measures the worst case
/// of the changes one write carries). A pod's change is its Ready condition's last transition; the Service's is its
/// creation. A Service seen for the first time reports its creation. Per Service, the trigger times seen by the last
/// sync are remembered; a pod whose time moved on since then is a change. Called for one Service by one worker at a
/// time (the work queue guarantees it); different Services from several workers at once.
/// </summary>
public sealed class TriggerTimeTracker
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, State> _services = new(StringComparer.Ordinal);

    private sealed record State(DateTime ServiceTime, Dictionary<string, DateTime> PodTimes);

    /// <summary>The trigger time of this sync of <paramref name="serviceKey"/> (null: nothing changed that has a time), remembered for the next.</summary>
    public DateTime? Compute(string serviceKey, V1Service service, IEnumerable<V1Pod> pods)
    {
        State? before;
        lock (_lock)
            before = _services.GetValueOrDefault(serviceKey);
        DateTime? earliest = null;
        var podTimes = new Dictionary<string, DateTime>(StringComparer.Ordinal);
        foreach (var pod in pods)
        {
            if (PodState.Condition(pod, "Ready")?.LastTransitionTime is not { } time)
                continue;
            podTimes[pod.Name()] = time;
            if (before is null || !before.PodTimes.TryGetValue(pod.Name(), out var seen) || time > seen)
                earliest = Earliest(earliest, time);
        }
        var serviceTime = service.Metadata.CreationTimestamp ?? DateTime.MinValue;
        if (before is null || serviceTime > before.ServiceTime)
            earliest = Earliest(earliest, serviceTime);
        lock (_lock)
            _services[serviceKey] = new State(serviceTime, podTimes);
        if (before is null)
            return service.Metadata.CreationTimestamp;
        return earliest;
    }

    /// <summary>The Service is gone: forget it.</summary>
    public void Forget(string serviceKey)
    {
        lock (_lock)
            _services.Remove(serviceKey);
    }

    private static DateTime Earliest(DateTime? current, DateTime candidate) =>
        current is { } c && c <= candidate ? c : candidate;
}
