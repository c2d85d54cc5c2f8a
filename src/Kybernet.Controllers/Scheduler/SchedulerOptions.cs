namespace Kybernet.Controllers.Scheduler;

/// <summary>kube-scheduler's settings that Kybernet's scheduler has.</summary>
public sealed record SchedulerOptions
{
    /// <summary>The spec.schedulerName this scheduler serves (the API server defaults it to this).</summary>
    public string SchedulerName { get; init; } = "default-scheduler";

    /// <summary>Bindings sent and not yet answered at most; the scheduling loop waits for a free slot (upstream binds each in a goroutine).</summary>
    public int MaxBindingsInFlight { get; init; } = 64;

    /// <summary>podInitialBackoffSeconds (1 s) and podMaxBackoffSeconds (10 s).</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long an unschedulable pod waits for a cluster change before it is tried anyway (upstream's
    /// podMaxInUnschedulablePodsDuration is 5 min; shorter here, a small cluster's events are cheap).
    /// </summary>
    public TimeSpan MaxInUnschedulable { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>percentageOfNodesToScore: 0 is upstream's adaptive default (all nodes below 100 nodes).</summary>
    public int PercentageOfNodesToScore { get; init; }
}
