using Microsoft.Data.Sqlite;

namespace Kybernet.Store.Sqlite;

/// <summary>
/// The store's read-only connections, kept open for reuse by one reader at a time. Microsoft.Data.Sqlite's own pool
/// can lend one native connection to two concurrent openers (dotnet/efcore#39008), which under load showed as reads
/// failing with "cannot start a transaction within a transaction"; a stack under a lock cannot.
/// </summary>
internal sealed class ReadConnections(string path, int keep = 16) : IDisposable
{
    private readonly string _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
    private readonly Lock _lock = new();
    private readonly Stack<SqliteConnection> _idle = new();
    private bool _disposed;

    /// <summary>An open connection that is the caller's alone until <see cref="Return"/>ed (or disposed, if it may be unwell).</summary>
    public SqliteConnection Rent()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_idle.TryPop(out var idle))
                return idle;
        }
        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Gives back a connection with no transaction open; beyond <c>keep</c> idle ones, or once disposed, it is closed.</summary>
    public void Return(SqliteConnection connection)
    {
        lock (_lock)
        {
            if (!_disposed && _idle.Count < keep)
            {
                _idle.Push(connection);
                return;
            }
        }
        connection.Dispose();
    }

    /// <summary>Closes the idle connections (so the files can be removed); ones still rented close when returned.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            while (_idle.TryPop(out var connection))
                connection.Dispose();
        }
    }
}
