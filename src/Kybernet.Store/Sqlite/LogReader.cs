using Microsoft.Data.Sqlite;

namespace Kybernet.Store.Sqlite;

/// <summary>The queries over the log. Each runs inside the caller's transaction (a snapshot for readers).</summary>
internal static class LogReader
{
    public static (long Revision, long CompactRevision) Revisions(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var command = Command(connection, transaction,
            "SELECT (SELECT value FROM meta WHERE name = 'revision'), (SELECT value FROM meta WHERE name = 'compact_revision')");
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>The key's newest state, null if absent.</summary>
    public static KeyValue? Latest(SqliteConnection connection, SqliteTransaction transaction, byte[] key)
    {
        using var command = Command(connection, transaction, """
            SELECT key, value, create_revision, revision, version, lease, deleted FROM log
            WHERE key = $key ORDER BY revision DESC LIMIT 1
            """);
        command.Parameters.AddWithValue("$key", key);
        using var reader = command.ExecuteReader();
        return reader.Read() && reader.GetInt64(6) == 0 ? ReadKv(reader, 0) : null;
    }

    /// <summary>The live keys in <paramref name="range"/> at <paramref name="revision"/>, in key order; limit 0: all.</summary>
    public static List<KeyValue> Range(SqliteConnection connection, SqliteTransaction transaction, KeyRange range, long revision, long limit)
    {
        using var command = Command(connection, transaction, "");
        // SQLite documents that with one max() aggregate, the bare columns come from the row holding the max.
        command.CommandText = $"""
            SELECT key, value, create_revision, revision, version, lease FROM (
                SELECT key, value, create_revision, MAX(revision) AS revision, version, lease, deleted FROM log
                WHERE {KeyFilter(command, range, "key")} AND revision <= $rev GROUP BY key)
            WHERE deleted = 0 ORDER BY key LIMIT $limit
            """;
        command.Parameters.AddWithValue("$rev", revision);
        command.Parameters.AddWithValue("$limit", limit > 0 ? limit : -1);
        using var reader = command.ExecuteReader();
        var kvs = new List<KeyValue>();
        while (reader.Read())
            kvs.Add(ReadKv(reader, 0));
        return kvs;
    }

    public static long Count(SqliteConnection connection, SqliteTransaction transaction, KeyRange range, long revision)
    {
        using var command = Command(connection, transaction, "");
        command.CommandText = $"""
            SELECT COUNT(*) FROM (
                SELECT MAX(revision), deleted FROM log
                WHERE {KeyFilter(command, range, "key")} AND revision <= $rev GROUP BY key)
            WHERE deleted = 0
            """;
        command.Parameters.AddWithValue("$rev", revision);
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>
    /// Up to <paramref name="limit"/> changes in <paramref name="range"/> after log position
    /// (<paramref name="revision"/>, <paramref name="sub"/>), in commit order, with the previous value.
    /// </summary>
    public static List<(long Revision, int Sub, WatchEvent Event)> Changes(
        SqliteConnection connection, SqliteTransaction transaction, KeyRange range, long revision, int sub, int limit)
    {
        using var command = Command(connection, transaction, "");
        // INDEXED BY: walk the new rows in commit order rather than every row of a big prefix.
        command.CommandText = $"""
            SELECT l.key, l.value, l.create_revision, l.revision, l.version, l.lease, l.deleted, l.sub,
                   p.key, p.value, p.create_revision, p.revision, p.version, p.lease
            FROM log AS l INDEXED BY log_revision_sub
            LEFT JOIN log AS p ON p.key = l.key AND p.revision = l.prev_revision
            WHERE (l.revision, l.sub) > ($rev, $sub) AND {KeyFilter(command, range, "l.key")}
            ORDER BY l.revision, l.sub LIMIT $limit
            """;
        command.Parameters.AddWithValue("$rev", revision);
        command.Parameters.AddWithValue("$sub", sub);
        command.Parameters.AddWithValue("$limit", limit);
        using var reader = command.ExecuteReader();
        var changes = new List<(long, int, WatchEvent)>();
        while (reader.Read())
        {
            var kv = ReadKv(reader, 0);
            var prev = reader.IsDBNull(8) ? null : ReadKv(reader, 8);
            var type = reader.GetInt64(6) != 0 ? WatchEventType.Delete : WatchEventType.Put;
            changes.Add((kv.ModRevision, reader.GetInt32(7), new WatchEvent(type, kv, prev)));
        }
        return changes;
    }

    /// <summary>The live keys whose newest row is attached to the lease.</summary>
    public static List<byte[]> KeysOfLease(SqliteConnection connection, SqliteTransaction transaction, long lease)
    {
        using var command = Command(connection, transaction, """
            SELECT l.key FROM log AS l
            WHERE l.lease = $lease AND l.deleted = 0
              AND l.revision = (SELECT MAX(m.revision) FROM log AS m WHERE m.key = l.key)
            ORDER BY l.key
            """);
        command.Parameters.AddWithValue("$lease", lease);
        using var reader = command.ExecuteReader();
        var keys = new List<byte[]>();
        while (reader.Read())
            keys.Add(reader.GetFieldValue<byte[]>(0));
        return keys;
    }

    public static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    /// <summary>Columns key, value, create_revision, revision, version, lease from <paramref name="first"/> on.</summary>
    private static KeyValue ReadKv(SqliteDataReader reader, int first) => new(
        KeyBytes.Decode(reader.GetFieldValue<byte[]>(first)),
        reader.GetFieldValue<byte[]>(first + 1),
        reader.GetInt64(first + 2),
        reader.GetInt64(first + 3),
        reader.GetInt64(first + 4),
        reader.GetInt64(first + 5));

    /// <summary>The SQL condition for the range on <paramref name="column"/>, its parameters added to the command.</summary>
    private static string KeyFilter(SqliteCommand command, KeyRange range, string column)
    {
        command.Parameters.AddWithValue("$lo", KeyBytes.Encode(range.Start));
        if (!range.IsPrefix)
            return $"{column} = $lo";
        if (KeyBytes.PrefixEnd(KeyBytes.Encode(range.Key)) is not { } end)
            return $"{column} >= $lo";
        command.Parameters.AddWithValue("$hi", end);
        return $"{column} >= $lo AND {column} < $hi";
    }
}
