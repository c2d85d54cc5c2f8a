namespace Kybernet.Store;

public enum WatchEventType
{
    Put,
    Delete,
}

/// <summary>
/// One change seen by a watch. For a delete, <see cref="Kv"/> carries the key with the deleting
/// revision as ModRevision and an empty value; <see cref="PrevKv"/> holds what was deleted.
/// </summary>
public sealed record WatchEvent(WatchEventType Type, KeyValue Kv, KeyValue? PrevKv);
