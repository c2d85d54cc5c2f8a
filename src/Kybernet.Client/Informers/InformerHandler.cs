namespace Kybernet.Client.Informers;

/// <summary>
/// What a consumer of an informer is told, on the informer's thread, in the order things happened: an object appeared,
/// changed (old, new; both the same object on a periodic resync), or went (its last known state). Handlers should be
/// quick (typically they put a key in a <see cref="Queues.WorkQueue{T}"/>); one that throws is logged and skipped.
/// </summary>
public sealed record InformerHandler<T>(Action<T>? OnAdd = null, Action<T, T>? OnUpdate = null, Action<T>? OnDelete = null)
{
    /// <summary>One action for all three (the changed object: the new one on update, the last state on delete).</summary>
    public static InformerHandler<T> OnAny(Action<T> changed) => new(changed, (_, now) => changed(now), changed);
}
