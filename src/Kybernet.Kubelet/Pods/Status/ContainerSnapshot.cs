namespace Kybernet.Kubelet.Pods.Status;

/// <summary>
/// Everything the pod worker knows about one container of the pod (regular or init), runtime-neutral.
/// </summary>
/// <param name="Current">The newest instance; null before one is created.</param>
/// <param name="Previous">The instance before it, if the runtime still has it: becomes lastState.</param>
/// <param name="RestartCount">How many times the container was restarted (the pod worker keeps it on the instance).</param>
/// <param name="Ready">The readiness probe passed (or there is none); only counted while running.</param>
/// <param name="Started">The startup probe passed (or there is none); only counted while running.</param>
/// <param name="Waiting">Why the last attempt to start it failed, shown while it waits to be (re)started.</param>
public sealed record ContainerSnapshot(
    string Name,
    ContainerInstance? Current = null,
    ContainerInstance? Previous = null,
    int RestartCount = 0,
    bool Ready = false,
    bool Started = false,
    ContainerWaiting? Waiting = null);
