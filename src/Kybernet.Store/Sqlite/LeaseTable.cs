using Microsoft.Data.Sqlite;

namespace Kybernet.Store.Sqlite;

/// <summary>The lease rows: id, TTL and the wall-clock time it expires at (persisted, so Unix time).</summary>
internal static class LeaseTable
{
    public static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public static bool Exists(SqliteConnection connection, SqliteTransaction transaction, long id)
    {
        using var command = LogReader.Command(connection, transaction, "SELECT 1 FROM lease WHERE id = $id");
        command.Parameters.AddWithValue("$id", id);
        return command.ExecuteScalar() is not null;
    }

    /// <returns>False if the id is taken.</returns>
    public static bool TryInsert(SqliteConnection connection, SqliteTransaction transaction, long id, long ttlSeconds)
    {
        using var command = LogReader.Command(connection, transaction,
            "INSERT OR IGNORE INTO lease (id, ttl, expiry_ms) VALUES ($id, $ttl, $now + $ttl * 1000)");
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$ttl", ttlSeconds);
        command.Parameters.AddWithValue("$now", NowMs);
        return command.ExecuteNonQuery() == 1;
    }

    /// <summary>Restarts the lease's TTL: its TTL, or null if there is no such lease.</summary>
    public static long? Refresh(SqliteConnection connection, SqliteTransaction transaction, long id)
    {
        using var command = LogReader.Command(connection, transaction,
            "UPDATE lease SET expiry_ms = $now + ttl * 1000 WHERE id = $id RETURNING ttl");
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$now", NowMs);
        return command.ExecuteScalar() is long ttl ? ttl : null;
    }

    /// <summary>
    /// Gives every lease a full TTL from now. Done at open, as etcd does when a leader takes over:
    /// the time the store was down does not count against its leases.
    /// </summary>
    public static void RefreshAll(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var command = LogReader.Command(connection, transaction, "UPDATE lease SET expiry_ms = $now + ttl * 1000");
        command.Parameters.AddWithValue("$now", NowMs);
        command.ExecuteNonQuery();
    }

    public static bool IsExpired(SqliteConnection connection, SqliteTransaction transaction, long id)
    {
        using var command = LogReader.Command(connection, transaction, "SELECT 1 FROM lease WHERE id = $id AND expiry_ms <= $now");
        command.Parameters.AddWithValue("$id", id);
        command.Parameters.AddWithValue("$now", NowMs);
        return command.ExecuteScalar() is not null;
    }

    public static List<long> Expired(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var command = LogReader.Command(connection, transaction, "SELECT id FROM lease WHERE expiry_ms <= $now ORDER BY expiry_ms");
        command.Parameters.AddWithValue("$now", NowMs);
        using var reader = command.ExecuteReader();
        var ids = new List<long>();
        while (reader.Read())
            ids.Add(reader.GetInt64(0));
        return ids;
    }

    /// <returns>False if there was no such lease.</returns>
    public static bool Delete(SqliteConnection connection, SqliteTransaction transaction, long id)
    {
        using var command = LogReader.Command(connection, transaction, "DELETE FROM lease WHERE id = $id");
        command.Parameters.AddWithValue("$id", id);
        return command.ExecuteNonQuery() == 1;
    }
}
