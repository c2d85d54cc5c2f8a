using System.Diagnostics;
using System.Text;
using Kybernet.Store.Sqlite;

namespace Kybernet.Store.Tests.Sqlite;

/// <summary>What survives the process: a clean close, and a SIGKILL in the middle of writing.</summary>
public sealed class SqliteStoreDurabilityTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task State_and_revision_survive_a_clean_close_and_the_revision_keeps_counting()
    {
        long revision, lease;
        await using (var store = SqliteStore.Open(_directory.Path))
        {
            await store.PutAsync("/a", "1"u8.ToArray());
            await store.PutAsync("/a", "2"u8.ToArray());
            await store.PutAsync("/b", "b"u8.ToArray());
            await store.DeleteAsync("/b");
            lease = await store.GrantLeaseAsync(60);
            revision = await store.PutAsync("/leased", "x"u8.ToArray(), lease);
        }

        await using (var store = SqliteStore.Open(_directory.Path))
        {
            Assert.Equal(revision, await store.CurrentRevisionAsync());
            var a = (await store.GetAsync("/a"))!;
            Assert.Equal(("2", 2L), (Encoding.UTF8.GetString(a.Value.Span), a.Version));
            Assert.Null(await store.GetAsync("/b"));
            Assert.Equal(60, await store.KeepAliveAsync(lease));
            Assert.Equal(revision + 1, await store.PutAsync("/c", "c"u8.ToArray()));
            Assert.Equal("1", Encoding.UTF8.GetString((await store.GetAsync("/a", 1))!.Value.Span));
        }
    }

    [Fact]
    public async Task A_second_open_of_the_same_directory_is_refused_while_the_first_is_open()
    {
        await using var store = SqliteStore.Open(_directory.Path);

        var e = Assert.Throws<IOException>(() => SqliteStore.Open(_directory.Path));
        Assert.Contains(_directory.Path, e.Message);
    }

    [Fact]
    public async Task Every_acknowledged_write_of_concurrent_writers_survives_a_SIGKILL_mid_burst()
    {
        const int enough = 300; // acknowledgements to read before killing
        var acknowledged = new List<(long N, long Revision)>();
        using (var writer = Process.Start(CrashWriterStart(_directory.Path))!)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                while (acknowledged.Count < enough && await writer.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
                    acknowledged.Add(Parse(line));
                if (acknowledged.Count < enough)
                    Assert.Fail($"crash writer stopped after {acknowledged.Count} writes: {await writer.StandardError.ReadToEndAsync()}");
            }
            finally
            {
                writer.Kill(entireProcessTree: false); // SIGKILL to this pid only
            }
            // Lines it printed before dying were acknowledged too.
            while (await writer.StandardOutput.ReadLineAsync() is { } line)
                acknowledged.Add(Parse(line));
            await writer.WaitForExitAsync();
        }

        await using var store = SqliteStore.Open(_directory.Path);
        Assert.True(await store.CurrentRevisionAsync() >= acknowledged.Max(a => a.Revision));
        foreach (var (n, revision) in acknowledged)
        {
            var kv = await store.GetAsync(CrashKeys.Key(n));
            Assert.True(kv is not null, $"acknowledged write {n} at revision {revision} is lost");
            Assert.Equal((CrashKeys.Value(n), revision), (Encoding.UTF8.GetString(kv.Value.Span), kv.ModRevision));
        }
        // The store goes on from where the killed process left it.
        Assert.Equal(await store.CurrentRevisionAsync() + 1, await store.PutAsync("/after", "x"u8.ToArray()));
    }

    private static (long, long) Parse(string line)
    {
        var parts = line.Split(' ');
        return (long.Parse(parts[0]), long.Parse(parts[1]));
    }

    /// <summary>Runs the crash writer built beside the tests, with the dotnet host that runs them.</summary>
    private static ProcessStartInfo CrashWriterStart(string dataDirectory)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Kybernet.Store.CrashWriter.dll");
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add(dataDirectory);
        return start;
    }
}
