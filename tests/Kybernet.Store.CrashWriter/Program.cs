// Usage: Kybernet.Store.CrashWriter <data dir>
// Eight concurrent writers put /crash/<n> = "value-<n>" (writer w takes n = w, w + 8, ...), so the store's group
// commit batches them; once each put has returned, its writer prints "<n> <revision>" (flushed). The durability
// test SIGKILLs it mid-burst and checks that every line it read names a write the reopened store still has.
using System.Text;
using Kybernet.Store;
using Kybernet.Store.Sqlite;

const int writers = 8;
await using var store = SqliteStore.Open(args[0]);
var stdout = Console.Out;
var printing = new Lock();
await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
{
    for (long n = w; ; n += writers)
    {
        var revision = await store.PutAsync(CrashKeys.Key(n), Encoding.UTF8.GetBytes(CrashKeys.Value(n)));
        lock (printing)
        {
            stdout.WriteLine($"{n} {revision}");
            stdout.Flush();
        }
    }
})));
