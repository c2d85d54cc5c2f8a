using Grpc.Core;

namespace Kybernet.Store.Etcd;

/// <summary>The etcd errors the store turns into the contract's exceptions; the rest are <see cref="Other"/>.</summary>
public enum EtcdError
{
    Other,
    Compacted,
    FutureRevision,
    LeaseNotFound,
    Unavailable,
}

/// <summary>An etcd call failed: names the operation and the (prefixed) key, keeps etcd's own message.</summary>
public sealed class EtcdStoreException(string operation, string key, EtcdError error, string detail, Exception? inner)
    : Exception($"etcd {operation} {key}: {detail}", inner)
{
    public string Operation { get; } = operation;
    public string Key { get; } = key;
    public EtcdError Error { get; } = error;

    internal static EtcdStoreException From(string operation, string key, RpcException e)
    {
        // etcd's messages, as its server sends them (api/v3rpc/rpctypes); matched on text because
        // several share one status code (compacted and future revision are both OutOfRange).
        var detail = e.Status.Detail;
        var error = detail switch
        {
            _ when detail.Contains("required revision has been compacted", StringComparison.Ordinal) => EtcdError.Compacted,
            _ when detail.Contains("required revision is a future revision", StringComparison.Ordinal) => EtcdError.FutureRevision,
            _ when detail.Contains("requested lease not found", StringComparison.Ordinal) => EtcdError.LeaseNotFound,
            _ when e.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded => EtcdError.Unavailable,
            _ => EtcdError.Other,
        };
        return new EtcdStoreException(operation, key, error, $"{e.StatusCode}: {detail}", e);
    }
}
