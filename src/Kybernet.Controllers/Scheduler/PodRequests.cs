using k8s.Models;

namespace Kybernet.Controllers.Scheduler;

/// <summary>
/// What a pod asks of a node (upstream's resource helpers): the sum of its containers' requests and of its sidecars
/// (init containers with restartPolicy Always, which keep running), or the largest need of any init container while it
/// runs beside the sidecars started before it, whichever is larger; plus spec.overhead.
/// </summary>
public static class PodRequests
{
    /// <summary>Upstream's defaults for a container that requests no cpu or memory, used only to score (so empty pods still spread).</summary>
    public const long DefaultMilliCpu = 100;
    public const long DefaultMemory = 200L * 1024 * 1024;

    /// <summary>The requests the resource filter checks.</summary>
    public static Resources Of(V1PodSpec spec) => Compute(spec, nonZero: false);

    /// <summary>The requests scoring uses: a container without a cpu or memory request counts with upstream's defaults.</summary>
    public static Resources NonZero(V1PodSpec spec) => Compute(spec, nonZero: true);

    private static Resources Compute(V1PodSpec spec, bool nonZero)
    {
        var containers = Resources.Zero;
        foreach (var container in spec.Containers ?? [])
            containers += Container(container, nonZero);
        var sidecars = Resources.Zero;
        var initPeak = Resources.Zero;
        foreach (var init in spec.InitContainers ?? [])
        {
            var need = Container(init, nonZero);
            if (init.RestartPolicy == "Always")
            {
                sidecars += need;
                initPeak = initPeak.Max(sidecars);
            }
            else
                initPeak = initPeak.Max(sidecars + need);
        }
        return (containers + sidecars).Max(initPeak) + Resources.Of(spec.Overhead);
    }

    private static Resources Container(V1Container container, bool nonZero)
    {
        var requests = Resources.Of(container.Resources?.Requests);
        if (!nonZero)
            return requests;
        return requests with
        {
            MilliCpu = requests.MilliCpu == 0 ? DefaultMilliCpu : requests.MilliCpu,
            Memory = requests.Memory == 0 ? DefaultMemory : requests.Memory,
        };
    }
}
