using Microsoft.Data.Sqlite;

namespace Kybernet.Store.Sqlite;

/// <summary>
/// The changes of one write transaction, all at <see cref="Revision"/>. Rows are appended to the log;
/// the caller commits them with the new revision, or rolls back when nothing changed (no write, no revision).
/// </summary>
internal sealed class LogWriter(SqliteConnection connection, SqliteTransaction transaction, long revision)
{
    private int _sub;

    public long Revision => revision;

    public SqliteTransaction Transaction => transaction;

    public bool Changed => _sub > 0;

    /// <summary>What this transaction appended, as watchers will see it (for the store's window of recent changes).</summary>
    public List<(long Revision, int Sub, WatchEvent Event)> Changes { get; } = [];

    /// <returns>The key's previous value, null if it was absent.</returns>
    public KeyValue? Put(string key, ReadOnlyMemory<byte> value, long lease)
    {
        if (lease != 0 && !LeaseTable.Exists(connection, transaction, lease))
            throw new LeaseNotFoundException(lease);
        var keyBytes = KeyBytes.Encode(key);
        var prev = LogReader.Latest(connection, transaction, keyBytes);
        // A re-created key starts over: new create revision, version 1.
        var bytes = value.ToArray();
        var createRevision = prev?.CreateRevision ?? revision;
        var version = (prev?.Version ?? 0) + 1;
        int sub = Append(keyBytes, bytes, createRevision, prev?.ModRevision ?? 0, version, lease, deleted: false);
        Changes.Add((revision, sub, new WatchEvent(WatchEventType.Put, new KeyValue(key, bytes, createRevision, revision, version, lease), prev)));
        return prev;
    }

    /// <returns>The deleted keys' last values; none deleted is no change.</returns>
    public List<KeyValue> Delete(KeyRange range)
    {
        var live = LogReader.Range(connection, transaction, range, revision, 0);
        foreach (var kv in live)
        {
            int sub = Append(KeyBytes.Encode(kv.Key), [], 0, kv.ModRevision, 0, 0, deleted: true);
            Changes.Add((revision, sub, new WatchEvent(WatchEventType.Delete, new KeyValue(kv.Key, Array.Empty<byte>(), 0, revision, 0, 0), kv)));
        }
        return live;
    }

    /// <summary>Reads see this transaction's earlier ops, as in etcd.</summary>
    public List<KeyValue> Get(KeyRange range) => LogReader.Range(connection, transaction, range, revision, 0);

    /// <returns>The row's position within the revision.</returns>
    private int Append(byte[] key, byte[] value, long createRevision, long prevRevision, long version, long lease, bool deleted)
    {
        int sub = _sub++;
        using var command = LogReader.Command(connection, transaction, """
            INSERT INTO log (revision, sub, key, value, create_revision, prev_revision, version, lease, deleted)
            VALUES ($rev, $sub, $key, $value, $create, $prev, $version, $lease, $deleted)
            """);
        command.Parameters.AddWithValue("$rev", revision);
        command.Parameters.AddWithValue("$sub", sub);
        command.Parameters.AddWithValue("$key", key);
        command.Parameters.AddWithValue("$value", value);
        command.Parameters.AddWithValue("$create", createRevision);
        command.Parameters.AddWithValue("$prev", prevRevision);
        command.Parameters.AddWithValue("$version", version);
        command.Parameters.AddWithValue("$lease", lease);
        command.Parameters.AddWithValue("$deleted", deleted ? 1 : 0);
        command.ExecuteNonQuery();
        return sub;
    }
}
