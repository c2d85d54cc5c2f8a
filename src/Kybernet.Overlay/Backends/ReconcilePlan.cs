namespace Kybernet.Overlay.Backends;

/// <summary>
/// The difference between the entries a backend owns in the kernel and the ones it wants: what to delete
/// (owned, and its key no longer wanted) and what to set (wanted, and missing or different). Setting is a
/// replace, so a changed MAC or address is one set, not a delete and an add. Empty when nothing differs.
/// </summary>
public sealed record ReconcilePlan(
    IReadOnlyList<OverlayRoute> RoutesToDelete,
    IReadOnlyList<OverlayNeighbour> NeighboursToDelete,
    IReadOnlyList<OverlayFdbEntry> FdbToDelete,
    IReadOnlyList<OverlayFdbEntry> FdbToSet,
    IReadOnlyList<OverlayNeighbour> NeighboursToSet,
    IReadOnlyList<OverlayRoute> RoutesToSet)
{
    public bool IsEmpty =>
        RoutesToDelete.Count + NeighboursToDelete.Count + FdbToDelete.Count + FdbToSet.Count + NeighboursToSet.Count + RoutesToSet.Count == 0;

    public static ReconcilePlan Between(OverlayState actual, OverlayState desired)
    {
        var (routesToDelete, routesToSet) = Diff(actual.Routes, desired.Routes, r => r.Destination);
        var (neighboursToDelete, neighboursToSet) = Diff(actual.Neighbours, desired.Neighbours, n => n.Address);
        var (fdbToDelete, fdbToSet) = Diff(actual.Fdb, desired.Fdb, f => f.Mac);
        return new ReconcilePlan(routesToDelete, neighboursToDelete, fdbToDelete, fdbToSet, neighboursToSet, routesToSet);
    }

    /// <summary>The plan as iproute2 commands, in the order they are applied (for logs and `kybernet net`).</summary>
    public IEnumerable<string> Describe() =>
        RoutesToDelete.Select(r => $"ip route del {r}")
            .Concat(NeighboursToDelete.Select(n => $"ip neigh del {n.Address} dev {n.Device}"))
            .Concat(FdbToDelete.Select(f => $"bridge fdb del {f}"))
            .Concat(FdbToSet.Select(f => $"bridge fdb replace {f}"))
            .Concat(NeighboursToSet.Select(n => $"ip neigh replace {n} nud permanent"))
            .Concat(RoutesToSet.Select(r => $"ip route replace {r}"));

    private static (List<T> Delete, List<T> Set) Diff<T, TKey>(IReadOnlyList<T> actual, IReadOnlyList<T> desired, Func<T, TKey> key)
        where TKey : notnull
    {
        var wantedKeys = desired.Select(key).ToHashSet();
        var have = actual.ToHashSet();
        var delete = actual.Where(a => !wantedKeys.Contains(key(a))).Distinct().ToList();
        var set = desired.Where(d => !have.Contains(d)).Distinct().ToList();
        return (delete, set);
    }
}
