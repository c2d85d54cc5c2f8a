namespace Kybernet.Store.Sqlite;

/// <summary>
/// etcd refuses a transaction whose branch changes one key twice (two puts, or a put inside a
/// deleted range): the key's single row per revision would be ambiguous. Checked before running.
/// </summary>
internal static class TxnValidation
{
    public static void Check(Txn txn)
    {
        Check(txn.Success);
        Check(txn.Failure);
    }

    private static void Check(IReadOnlyList<TxnOp> ops)
    {
        var puts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var op in ops)
        {
            if (op is TxnOp.Put put && !puts.Add(put.Key))
                throw new ArgumentException($"txn: duplicate key given in txn request: put {put.Key} twice");
        }
        foreach (var op in ops)
        {
            if (op is TxnOp.Delete delete && puts.FirstOrDefault(delete.Range.Contains) is { } key)
                throw new ArgumentException($"txn: duplicate key given in txn request: put {key} inside deleted range {delete.Range}");
        }
    }
}
