using System.Globalization;
using k8s.Models;

namespace Kybernet.Controllers.Scheduler;

/// <summary>
/// The resources the scheduler accounts for: cpu in millicores, memory and ephemeral storage in bytes (upstream's
/// framework.Resource without extended resources). Quantities are rounded up, as upstream's MilliValue/Value do.
/// </summary>
public readonly record struct Resources(long MilliCpu, long Memory, long EphemeralStorage)
{
    public static readonly Resources Zero = default;

    public bool IsZero => MilliCpu == 0 && Memory == 0 && EphemeralStorage == 0;

    public static Resources operator +(Resources a, Resources b) => new(a.MilliCpu + b.MilliCpu, a.Memory + b.Memory, a.EphemeralStorage + b.EphemeralStorage);

    public static Resources operator -(Resources a, Resources b) => new(a.MilliCpu - b.MilliCpu, a.Memory - b.Memory, a.EphemeralStorage - b.EphemeralStorage);

    /// <summary>The larger of each dimension.</summary>
    public Resources Max(Resources other) => new(Math.Max(MilliCpu, other.MilliCpu), Math.Max(Memory, other.Memory), Math.Max(EphemeralStorage, other.EphemeralStorage));

    /// <summary>A resource list (requests, overhead, allocatable); names other than cpu, memory and ephemeral-storage are ignored.</summary>
    public static Resources Of(IDictionary<string, ResourceQuantity>? list) =>
        list is null ? Zero : new(Milli(list, "cpu"), Whole(list, "memory"), Whole(list, "ephemeral-storage"));

    /// <summary>A quantity rounded up to a whole number (pods, bytes); 0 when absent or unreadable.</summary>
    public static long Whole(IDictionary<string, ResourceQuantity>? list, string name) => Scaled(list, name, 1);

    private static long Milli(IDictionary<string, ResourceQuantity> list, string name) => Scaled(list, name, 1000);

    private static long Scaled(IDictionary<string, ResourceQuantity>? list, string name, decimal scale)
    {
        if (list is null || !list.TryGetValue(name, out var quantity) || quantity is null)
            return 0;
        try
        {
            return (long)Math.Ceiling(quantity.ToDecimal() * scale);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            return 0; // the API server validates quantities; an unreadable one counts as nothing
        }
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"cpu={MilliCpu}m memory={Memory} ephemeral-storage={EphemeralStorage}");
}
