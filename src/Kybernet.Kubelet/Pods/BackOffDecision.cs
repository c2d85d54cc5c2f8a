namespace Kybernet.Kubelet.Pods;

/// <summary>
/// Whether a failed container may be started now; if not, how long is left of its back-off, the current back-off
/// period, and the words upstream uses: the waiting message ("back-off 20s restarting failed container=app
/// pod=web_default(UID)") and the BackOff event ("Back-off restarting failed container app in pod web_default(UID)").
/// </summary>
public sealed record BackOffDecision(bool MayStart, TimeSpan Remaining, TimeSpan Period, string? Message, string? EventMessage)
{
    public const string WaitingReason = "CrashLoopBackOff";
    public const string EventReason = "BackOff";

    public static readonly BackOffDecision Start = new(true, TimeSpan.Zero, TimeSpan.Zero, null, null);
}
