namespace Kybernet.Overlay.Backends;

/// <summary>
/// One kernel entry an <see cref="INetwork.Apply"/> deletes or replaces, with what it means for an operator: following
/// the leases (a node came, changed or left: <see cref="OverlayChangeKind.Added"/>, <see cref="OverlayChangeKind.Changed"/>,
/// <see cref="OverlayChangeKind.Removed"/>) or a repair (something the network had set went missing or was changed behind its
/// back: <see cref="OverlayChangeKind.Restored"/>, <see cref="OverlayChangeKind.Corrected"/>, or a look-alike appeared:
/// <see cref="OverlayChangeKind.RemovedStray"/>). <see cref="Entry"/> is an <see cref="OverlayRoute"/>,
/// <see cref="OverlayNeighbour"/> or <see cref="OverlayFdbEntry"/>; <see cref="Was"/> is the entry it replaces, if any.
/// </summary>
public sealed record OverlayChange(OverlayChangeKind Kind, object Entry, object? Was = null)
{
    public bool IsRemoval => Kind is OverlayChangeKind.Removed or OverlayChangeKind.RemovedStray;

    /// <summary>A repair rather than a follow-up of the leases: the agent logs these at Information.</summary>
    public bool IsRepair => Kind is OverlayChangeKind.Restored or OverlayChangeKind.Corrected or OverlayChangeKind.RemovedStray;

    /// <summary>"restored route 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink", "corrected neighbour ... (it was ...)".</summary>
    public string Text => $"{Verb} {Noun} {Entry}{(Was is null ? "" : $" (it was {Was})")}{(Kind == OverlayChangeKind.RemovedStray ? " (no lease wants it)" : "")}";

    public override string ToString() => Text;

    private string Verb => Kind switch
    {
        OverlayChangeKind.Added => "added",
        OverlayChangeKind.Changed => "changed",
        OverlayChangeKind.Removed => "removed",
        OverlayChangeKind.Restored => "restored",
        OverlayChangeKind.Corrected => "corrected",
        _ => "removed stray",
    };

    private string Noun => Entry switch
    {
        OverlayRoute => "route",
        OverlayNeighbour => "neighbour",
        _ => "fdb entry",
    };

    /// <summary>
    /// <paramref name="plan"/> (computed from <paramref name="actual"/>) as changes, in the order they are carried out
    /// (as <see cref="ReconcilePlan.Describe"/>), each judged against <paramref name="expected"/>: what the network
    /// believed the kernel held after its previous Apply. Setting what was expected is a repair; so is deleting what
    /// was not.
    /// </summary>
    public static IReadOnlyList<OverlayChange> Of(ReconcilePlan plan, OverlayState actual, OverlayState expected)
    {
        var changes = new List<OverlayChange>();
        Removals(changes, plan.RoutesToDelete, expected.Routes);
        Removals(changes, plan.NeighboursToDelete, expected.Neighbours);
        Removals(changes, plan.FdbToDelete, expected.Fdb);
        Sets(changes, plan.FdbToSet, actual.Fdb, expected.Fdb, f => f.Mac);
        Sets(changes, plan.NeighboursToSet, actual.Neighbours, expected.Neighbours, n => n.Address);
        Sets(changes, plan.RoutesToSet, actual.Routes, expected.Routes, r => r.Destination);
        return changes;
    }

    private static void Removals<T>(List<OverlayChange> changes, IReadOnlyList<T> deletes, IReadOnlyList<T> expected) where T : notnull
    {
        foreach (var entry in deletes)
            changes.Add(new OverlayChange(expected.Contains(entry) ? OverlayChangeKind.Removed : OverlayChangeKind.RemovedStray, entry));
    }

    private static void Sets<T, TKey>(List<OverlayChange> changes, IReadOnlyList<T> sets, IReadOnlyList<T> actual, IReadOnlyList<T> expected, Func<T, TKey> key)
        where T : notnull
        where TKey : notnull
    {
        foreach (var entry in sets)
        {
            var was = actual.FirstOrDefault(a => key(a).Equals(key(entry)));
            bool repair = expected.Contains(entry);
            var kind = (was is null, repair) switch
            {
                (true, true) => OverlayChangeKind.Restored,
                (true, false) => OverlayChangeKind.Added,
                (false, true) => OverlayChangeKind.Corrected,
                _ => OverlayChangeKind.Changed,
            };
            changes.Add(new OverlayChange(kind, entry, was));
        }
    }
}

public enum OverlayChangeKind
{
    /// <summary>A new lease's entry.</summary>
    Added,
    /// <summary>A lease whose data changed (a node's new address or VTEP MAC).</summary>
    Changed,
    /// <summary>The entry of a lease that is gone.</summary>
    Removed,
    /// <summary>An entry the network had set, found missing.</summary>
    Restored,
    /// <summary>An entry the network had set, found changed.</summary>
    Corrected,
    /// <summary>An entry of the network's shape that it never set and no lease wants (set by hand, or left by an earlier run).</summary>
    RemovedStray,
}
