namespace Kybernet.Store.Tests.Etcd;

/// <summary>The one contract suite, against a real etcd (each test under a key prefix of its own).</summary>
public sealed class EtcdStoreContractTests(EtcdServer etcd) : StoreContractTests, IClassFixture<EtcdServer>
{
    protected override Task<IKeyValueStore> CreateStoreAsync() => Task.FromResult<IKeyValueStore>(etcd.NewStore(out _));
}
