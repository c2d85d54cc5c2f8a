using System.Globalization;
using k8s.Models;

namespace Kybernet.Kubelet.Pods.DownwardApi;

/// <summary>
/// The value of a downward API resourceFieldRef: a container's cpu, memory or ephemeral-storage limit or request,
/// divided by the divisor and rounded up (cpu in millicores before dividing, as upstream). An unset limit is the
/// node's allocatable amount, which is what the container may use.
/// </summary>
public static class ResourceFieldValue
{
    /// <summary>The value for <paramref name="container"/>.</summary>
    public static string For(V1ResourceFieldSelector selector, V1Container container, PodRuntimeFacts facts)
    {
        string resource = selector.Resource ?? "";
        var divisor = selector.Divisor;
        decimal divisorValue = divisor is null ? 0 : divisor.ToDecimal();
        if (divisorValue == 0)
            divisorValue = 1; // an absent (zero) divisor means 1, as upstream
        int dot = resource.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0)
            throw Unsupported(resource);
        string kind = resource[..dot], name = resource[(dot + 1)..];
        var list = kind switch
        {
            "limits" => LimitsWithDefaults(container, facts),
            "requests" => container.Resources?.Requests,
            _ => throw Unsupported(resource),
        };
        decimal amount = list is not null && list.TryGetValue(name, out var quantity) && quantity is not null ? quantity.ToDecimal() : 0;
        long value = name switch
        {
            "cpu" => (long)Math.Ceiling(Math.Ceiling(amount * 1000) / Math.Ceiling(divisorValue * 1000)),
            "memory" or "ephemeral-storage" => (long)Math.Ceiling(Math.Ceiling(amount) / Math.Ceiling(divisorValue)),
            _ => throw Unsupported(resource),
        };
        return value.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The value for the container a downwardAPI volume item names (its containerName is required there).</summary>
    public static string ForNamedContainer(V1ResourceFieldSelector selector, V1Pod pod, PodRuntimeFacts facts)
    {
        string name = selector.ContainerName ?? "";
        var container = (pod.Spec.Containers ?? []).Concat(pod.Spec.InitContainers ?? []).FirstOrDefault(c => c.Name == name)
            ?? throw new ContainerConfigException($"container {name} not found");
        return For(selector, container, facts);
    }

    private static Dictionary<string, ResourceQuantity> LimitsWithDefaults(V1Container container, PodRuntimeFacts facts)
    {
        var limits = new Dictionary<string, ResourceQuantity>(container.Resources?.Limits ?? new Dictionary<string, ResourceQuantity>());
        foreach (string name in new[] { "cpu", "memory", "ephemeral-storage" })
            if (!limits.ContainsKey(name) && facts.NodeAllocatable is { } allocatable && allocatable.TryGetValue(name, out var quantity))
                limits[name] = quantity;
        return limits;
    }

    private static ContainerConfigException Unsupported(string resource) => new($"unsupported container resource : {resource}");
}
