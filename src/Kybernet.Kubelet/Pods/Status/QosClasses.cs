using k8s.Models;

namespace Kybernet.Kubelet.Pods.Status;

/// <summary>
/// A pod's QoS class from its containers' cpu and memory (upstream's ComputePodQOS): BestEffort with no requests
/// or limits; Guaranteed when every container limits both and requests equal limits; Burstable otherwise.
/// </summary>
public static class QosClasses
{
    public const string BestEffort = "BestEffort";
    public const string Burstable = "Burstable";
    public const string Guaranteed = "Guaranteed";

    private static readonly string[] Counted = ["cpu", "memory"];

    public static string Of(V1PodSpec spec)
    {
        var requests = new Dictionary<string, decimal>();
        var limits = new Dictionary<string, decimal>();
        var guaranteed = true;
        foreach (var container in spec.Containers.Concat(spec.InitContainers ?? []))
        {
            Add(requests, WithDefaultedRequests(container.Resources));
            var found = Add(limits, container.Resources?.Limits);
            if (!found.Contains("cpu") || !found.Contains("memory"))
                guaranteed = false;
        }
        if (requests.Count == 0 && limits.Count == 0)
            return BestEffort;
        if (guaranteed && requests.All(r => limits.TryGetValue(r.Key, out var limit) && limit == r.Value) && requests.Count == limits.Count)
            return Guaranteed;
        return Burstable;
    }

    /// <summary>The API server defaults a missing request to its limit; pods that skipped defaulting get it here.</summary>
    private static Dictionary<string, ResourceQuantity> WithDefaultedRequests(V1ResourceRequirements? resources)
    {
        var effective = new Dictionary<string, ResourceQuantity>(resources?.Requests ?? new Dictionary<string, ResourceQuantity>());
        foreach (var (name, limit) in resources?.Limits ?? new Dictionary<string, ResourceQuantity>())
            effective.TryAdd(name, limit);
        return effective;
    }

    /// <summary>Adds the positive cpu/memory quantities to <paramref name="sums"/>; returns which were present.</summary>
    private static HashSet<string> Add(Dictionary<string, decimal> sums, IDictionary<string, ResourceQuantity>? list)
    {
        var found = new HashSet<string>();
        if (list is null)
            return found;
        foreach (var name in Counted)
        {
            if (!list.TryGetValue(name, out var quantity) || quantity is null)
                continue;
            var value = quantity.ToDecimal();
            if (value <= 0)
                continue;
            found.Add(name);
            sums[name] = sums.GetValueOrDefault(name) + value;
        }
        return found;
    }
}
