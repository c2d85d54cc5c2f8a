using Microsoft.Data.Sqlite;

namespace Kybernet.Store.Sqlite;

/// <summary>
/// The on-disk shape, log-structured like kine: every change is a row of <c>log</c>, never updated.
/// A key's state at revision R is its newest row with revision &lt;= R (absent if that row is a
/// tombstone). One transaction may change several keys, so a row is named by (revision, sub): sub
/// orders the changes of one revision as the transaction's ops did.
/// </summary>
internal static class SqliteSchema
{
    public const string FileName = "kybernet.db";

    private const string Ddl = """
        CREATE TABLE IF NOT EXISTS log (
            id              INTEGER PRIMARY KEY,
            revision        INTEGER NOT NULL,
            sub             INTEGER NOT NULL,
            key             BLOB    NOT NULL, -- UTF-8, so SQLite's memcmp order is etcd's byte order
            value           BLOB    NOT NULL, -- empty for a tombstone
            create_revision INTEGER NOT NULL, -- 0 for a tombstone
            prev_revision   INTEGER NOT NULL, -- revision of this key's row before this one, 0 if none
            version         INTEGER NOT NULL, -- 0 for a tombstone
            lease           INTEGER NOT NULL,
            deleted         INTEGER NOT NULL
        );
        CREATE UNIQUE INDEX IF NOT EXISTS log_revision_sub ON log (revision, sub);
        CREATE UNIQUE INDEX IF NOT EXISTS log_key_revision ON log (key, revision);
        CREATE INDEX IF NOT EXISTS log_lease ON log (lease) WHERE lease <> 0;

        -- 'revision': the last committed one (kept here because the newest rows may be compacted
        -- tombstones); 'compact_revision': reads and watches below it are refused.
        CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT OR IGNORE INTO meta (name, value) VALUES ('revision', 0), ('compact_revision', 0);

        CREATE TABLE IF NOT EXISTS lease (
            id        INTEGER PRIMARY KEY,
            ttl       INTEGER NOT NULL, -- seconds
            expiry_ms INTEGER NOT NULL  -- Unix time in milliseconds
        );
        """;

    /// <summary>Sets the durability pragmas on the writing connection and creates the tables.</summary>
    public static void Initialize(SqliteConnection writer)
    {
        // WAL: readers never block the writer. synchronous=FULL: a commit returns only after the WAL
        // is fsynced, so an acknowledged write survives a SIGKILL or a power loss. temp_store=MEMORY: the
        // savepoint each write of a group commit runs in keeps its undo pages in memory, not in a temporary file.
        Execute(writer, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY;");
        Execute(writer, Ddl);
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
