namespace Kybernet.Store;

public enum CompareTarget
{
    /// <summary>The revision of the key's last change (0 if it does not exist).</summary>
    ModRevision,
    /// <summary>The revision that created the key (0 if it does not exist).</summary>
    CreateRevision,
    /// <summary>Number of changes since creation (0 if it does not exist).</summary>
    Version,
    Value,
}

public enum CompareOp
{
    Equal,
    NotEqual,
    Less,
    Greater,
}

/// <summary>One condition of a transaction, e.g. <c>Compare.ModRevision("/a", CompareOp.Equal, 7)</c>.</summary>
public sealed record Compare(string Key, CompareTarget Target, CompareOp Op, long Number = 0, ReadOnlyMemory<byte> Value = default)
{
    public static Compare ModRevision(string key, CompareOp op, long revision) => new(key, CompareTarget.ModRevision, op, revision);
    public static Compare CreateRevision(string key, CompareOp op, long revision) => new(key, CompareTarget.CreateRevision, op, revision);
    public static Compare Version(string key, CompareOp op, long version) => new(key, CompareTarget.Version, op, version);
    public static Compare ValueIs(string key, CompareOp op, ReadOnlyMemory<byte> value) => new(key, CompareTarget.Value, op, 0, value);

    /// <summary>True if the key does not exist (its create revision is 0).</summary>
    public static Compare Absent(string key) => CreateRevision(key, CompareOp.Equal, 0);
}

/// <summary>A request inside a transaction: put, delete (one key or a range) or get.</summary>
public abstract record TxnOp
{
    public sealed record Put(string Key, ReadOnlyMemory<byte> Value, long Lease = 0) : TxnOp;
    public sealed record Delete(KeyRange Range) : TxnOp;
    public sealed record Get(KeyRange Range) : TxnOp;
}

/// <summary>If every compare holds, the success ops run, else the failure ops; all at one revision.</summary>
public sealed record Txn(IReadOnlyList<Compare> Compares, IReadOnlyList<TxnOp> Success, IReadOnlyList<TxnOp> Failure);

/// <summary>What each op of the branch that ran returned, in order.</summary>
public abstract record TxnOpResult
{
    public sealed record Put(KeyValue? PrevKv) : TxnOpResult;
    public sealed record Delete(IReadOnlyList<KeyValue> Deleted) : TxnOpResult;
    public sealed record Get(IReadOnlyList<KeyValue> Kvs) : TxnOpResult;
}

public sealed record TxnResult(bool Succeeded, long Revision, IReadOnlyList<TxnOpResult> Results);
