namespace Kybernet.Api.Patching;

/// <summary>How a strategic merge patch combines a list in the patch with the list in the object.</summary>
public enum ListMerge
{
    /// <summary>The patch's list replaces the object's list whole (the default for every list).</summary>
    Replace,

    /// <summary>A list of objects merged item by item, matching items by the value of a merge key.</summary>
    MergeByKey,

    /// <summary>A list of primitives merged as a set: the union, original order first (e.g. finalizers).</summary>
    Set,
}

/// <summary>A list's merge strategy, with its merge key when it merges by key.</summary>
public readonly record struct ListStrategy(ListMerge Merge, string? MergeKey)
{
    public static ListStrategy Replace => new(ListMerge.Replace, null);

    public static ListStrategy Set => new(ListMerge.Set, null);

    public static ListStrategy ByKey(string mergeKey) => new(ListMerge.MergeByKey, mergeKey);

    public override string ToString() => Merge == ListMerge.MergeByKey ? $"merge by \"{MergeKey}\"" : Merge.ToString();
}

/// <summary>
/// One row of a <see cref="PatchSchema"/>: in objects of <paramref name="Kind"/> (or
/// <see cref="PatchSchema.AnyKind"/>), the list at dotted <paramref name="Path"/> merges by
/// <paramref name="Strategy"/>. Paths name fields only; list items add no segment, so the env of
/// a pod's containers is <c>spec.containers.env</c>.
/// </summary>
public sealed record ListRule(string Kind, string Path, ListStrategy Strategy);
