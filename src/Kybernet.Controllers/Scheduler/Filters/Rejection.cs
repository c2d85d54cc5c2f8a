namespace Kybernet.Controllers.Scheduler.Filters;

/// <summary>
/// Why a node cannot take a pod: upstream's reasons (what the FailedScheduling message counts), and whether evicting
/// lower-priority pods could never help (upstream's UnschedulableAndUnresolvable), which the preemption part of the
/// message reports as "Preemption is not helpful for scheduling".
/// </summary>
public sealed record Rejection(IReadOnlyList<string> Reasons, bool Unresolvable)
{
    public static Rejection Resolvable(params string[] reasons) => new(reasons, false);

    public static Rejection Final(params string[] reasons) => new(reasons, true);
}
