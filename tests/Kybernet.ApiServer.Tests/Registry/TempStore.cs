using Kybernet.Store;
using Kybernet.Store.Sqlite;

namespace Kybernet.ApiServer.Tests.Registry;

/// <summary>A SQLite store in a temporary directory, removed with it: for the parts of a strategy that read claims.</summary>
public sealed class TempStore : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"kyt-store-{Guid.NewGuid():N}");

    public IKeyValueStore Store { get; private set; } = null!;

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_directory);
        Store = SqliteStore.Open(Path.Combine(_directory, "store"));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await Store.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
