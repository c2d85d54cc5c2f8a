using k8s.Models;

namespace Kybernet.Controllers.EndpointSlices;

/// <summary>
/// The slices this controller wrote and deleted, by uid, with the resourceVersion each write returned (upstream's
/// EndpointSliceTracker, on resourceVersions: our server's are revisions, increasing numbers). It tells
/// <list type="bullet">
/// <item>whether the informer still lags behind our own writes for a Service (<see cref="IsStale"/>): deciding from
/// such a view would create a slice twice (creates carry no name to conflict on), so the sync waits;</item>
/// <item>whether an informer event is just our own write coming back (<see cref="ShouldSync"/>), which needs no sync.</item>
/// </list>
/// A write the informer has not shown after <see cref="Patience"/> is forgotten (a delete by someone else can overtake
/// our record of the write it deletes): a lost record must not stop the Service's syncs for good.
/// </summary>
internal sealed class EndpointSliceTracker
{
    private const long Deleted = -1;

    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    private readonly Lock _lock = new();
    // Service key -> slice uid -> resourceVersion written (or Deleted), and when
    private readonly Dictionary<string, Dictionary<string, Written>> _services = new(StringComparer.Ordinal);

    private readonly record struct Written(long Version, long At);

    public void Wrote(string serviceKey, V1EndpointSlice written)
    {
        if (written.Uid() is not { Length: > 0 } uid || Version(written) is not { } version)
            return;
        lock (_lock)
            SlicesOf(serviceKey)[uid] = new Written(version, Environment.TickCount64);
    }

    public void ExpectDeletion(string serviceKey, V1EndpointSlice slice)
    {
        if (slice.Uid() is { Length: > 0 } uid)
        {
            lock (_lock)
                SlicesOf(serviceKey)[uid] = new Written(Deleted, Environment.TickCount64);
        }
    }

    /// <summary>True when a slice we wrote is not yet in <paramref name="cached"/> as we wrote it, or one we deleted still is.</summary>
    public bool IsStale(string serviceKey, IEnumerable<V1EndpointSlice> cached)
    {
        var seen = cached.Where(s => s.Uid() is not null).ToDictionary(s => s.Uid(), Version, StringComparer.Ordinal);
        lock (_lock)
        {
            if (!_services.TryGetValue(serviceKey, out var slices))
                return false;
            var stale = false;
            foreach (var (uid, written) in slices.ToList())
            {
                var present = seen.TryGetValue(uid, out var version);
                if (!(written.Version == Deleted ? present : !present || version < written.Version))
                    continue;
                if (Environment.TickCount64 - written.At > (long)Patience.TotalMilliseconds)
                    slices.Remove(uid);
                else
                    stale = true;
            }
            return stale;
        }
    }

    /// <summary>Whether an added or changed slice is news to us (not our own write, nor older than it).</summary>
    public bool ShouldSync(string serviceKey, V1EndpointSlice slice)
    {
        lock (_lock)
        {
            if (!_services.TryGetValue(serviceKey, out var slices) || !slices.TryGetValue(slice.Uid() ?? "", out var written))
                return true;
            return written.Version != Deleted && Version(slice) > written.Version;
        }
    }

    /// <summary>A slice was deleted: forgets it; true when that was our own deletion (no sync needed).</summary>
    public bool HandleDeletion(string serviceKey, V1EndpointSlice slice)
    {
        lock (_lock)
        {
            if (!_services.TryGetValue(serviceKey, out var slices) || !slices.Remove(slice.Uid() ?? "", out var written))
                return false;
            if (slices.Count == 0)
                _services.Remove(serviceKey);
            return written.Version == Deleted;
        }
    }

    public void Forget(string serviceKey)
    {
        lock (_lock)
            _services.Remove(serviceKey);
    }

    private Dictionary<string, Written> SlicesOf(string serviceKey)
    {
        if (!_services.TryGetValue(serviceKey, out var slices))
            _services[serviceKey] = slices = new(StringComparer.Ordinal);
        return slices;
    }

    private static long? Version(V1EndpointSlice slice) => long.TryParse(slice.ResourceVersion(), out var v) ? v : null;
}
