using k8s.Models;

namespace Kybernet.Kubelet.Pods.Status;

/// <summary>Init containers with restartPolicy Always are sidecars: they keep running beside the app containers.</summary>
public static class Sidecars
{
    public static bool IsRestartableInit(V1Container container) => container.RestartPolicy == "Always";
}
