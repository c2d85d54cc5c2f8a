// Usage: Kybernet.Store.CrashWriter <data dir>
// Puts /crash/<n> = "value-<n>" for n = 0, 1, ... and, once each put has returned, prints
// "<n> <revision>" (flushed). The durability test SIGKILLs it mid-burst and checks that every line
// it read names a write the reopened store still has.
using System.Text;
using Kybernet.Store;
using Kybernet.Store.Sqlite;

await using var store = SqliteStore.Open(args[0]);
var stdout = Console.Out;
for (long n = 0; ; n++)
{
    var revision = await store.PutAsync(CrashKeys.Key(n), Encoding.UTF8.GetBytes(CrashKeys.Value(n)));
    stdout.WriteLine($"{n} {revision}");
    stdout.Flush();
}
