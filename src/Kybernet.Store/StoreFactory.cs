using Kybernet.Store.Etcd;
using Kybernet.Store.Sqlite;

namespace Kybernet.Store;

/// <summary>Opens the store a command line names: "sqlite" (in DATA_DIR/store) or "etcd://HOST:PORT[,HOST:PORT...]".</summary>
public static class StoreFactory
{
    public static IKeyValueStore Open(string spec, string dataDirectory)
    {
        if (spec == "sqlite")
            return SqliteStore.Open(Path.Combine(dataDirectory, "store"));
        if (spec.StartsWith("etcd://", StringComparison.Ordinal))
            return new EtcdStore(spec);
        throw new ArgumentException($"--store \"{spec}\" is neither sqlite nor etcd://HOST:PORT[,HOST:PORT...]");
    }
}
