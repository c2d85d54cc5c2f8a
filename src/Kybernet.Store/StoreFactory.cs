using Kybernet.Store.Etcd;
using Kybernet.Store.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Store;

/// <summary>Opens the store a command line names: "sqlite" (in DATA_DIR/store) or "etcd://HOST:PORT[,HOST:PORT...]".</summary>
public static class StoreFactory
{
    public static IKeyValueStore Open(string spec, string dataDirectory, ILoggerFactory? loggers = null)
    {
        var log = (loggers ?? NullLoggerFactory.Instance).CreateLogger("store");
        if (spec == "sqlite")
            return SqliteStore.Open(Path.Combine(dataDirectory, "store"), log);
        if (spec.StartsWith("etcd://", StringComparison.Ordinal))
            return new EtcdStore(EtcdStoreOptions.Parse(spec) with { Log = log });
        throw new ArgumentException($"--store \"{spec}\" is neither sqlite nor etcd://HOST:PORT[,HOST:PORT...]");
    }
}
