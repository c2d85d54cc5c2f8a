namespace Kybernet.Kubelet.Pods;

/// <summary>
/// The labels and annotations the kubelet puts on every sandbox and container it asks the runtime for, with upstream's
/// keys: they are how a restarted kubelet finds its pods again in the runtime's own list (no state of its own), and
/// how `crictl ps` and `ctr` users recognise them.
/// </summary>
public static class RuntimeLabels
{
    public const string PodName = "io.kubernetes.pod.name";
    public const string PodNamespace = "io.kubernetes.pod.namespace";
    public const string PodUid = "io.kubernetes.pod.uid";
    public const string ContainerName = "io.kubernetes.container.name";

    /// <summary>Annotation: how many times this container was restarted before this instance (status.restartCount).</summary>
    public const string RestartCount = "io.kubernetes.container.restartCount";

    /// <summary>Annotation: the container spec's hash, so a changed spec (kubectl set image on a bare pod) is a restart.</summary>
    public const string ContainerHash = "io.kubernetes.container.hash";

    /// <summary>Annotation: the grace period the container was started with, used when the kubelet must stop it without the pod.</summary>
    public const string TerminationGracePeriod = "io.kubernetes.pod.terminationGracePeriod";

    /// <summary>Annotation: whether it is an init container (they run to completion, in order, before the others).</summary>
    public const string InitContainer = "io.kybernet.container.init";

    public static Dictionary<string, string> ForPod(string ns, string name, string uid) => new()
    {
        [PodName] = name,
        [PodNamespace] = ns,
        [PodUid] = uid,
    };
}
