using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Storage;
using Kybernet.Store;
using Microsoft.Extensions.Logging;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// Frees the cluster IPs and node ports no service holds any more (upstream's apiserver runs such
/// repair loops for service IPs and node ports). Services and claims are read at one revision, so
/// a service and the claims written with it are always seen together, and each release is
/// conditional on the claim being unchanged since. It runs once at start (what was deleted while no
/// server ran), then after every delete or update of a service: a deleted service leaves all its
/// claims, an update may drop node ports. Creates free nothing and wake nothing; nor do deletes of
/// claims, which only this loop makes.
/// </summary>
public sealed class ServiceClaimRepair(ObjectStore objects, ResourceCatalog catalog, ServiceAllocator allocator, ILogger<ServiceClaimRepair> log)
{
    /// <summary>Changes that come in a burst (a namespace's services going one by one) are repaired once.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(20);

    private ResourceDefinition Services => catalog.Find("", "v1", "services")!;

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                long revision = await RepairAsync(ct);
                await WaitForChange(revision, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return; // the server is stopping
            }
            catch (Exception e)
            {
                log.LogError(e, "Releasing unused service IPs and node ports failed; retrying in 1 s");
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
    }

    /// <summary>One pass: frees every claim no service holds; returns the revision it read at.</summary>
    public async Task<long> RepairAsync(CancellationToken ct)
    {
        long revision = await objects.Store.CurrentRevisionAsync(ct);
        var (services, _) = await objects.ListAsync(Services, null, ct, revision);
        foreach (var (key, holder) in await allocator.ReleaseUnusedAsync(services, revision, ct))
            log.LogDebug("Released {Claim}: {Holder} no longer holds it", key, holder);
        return revision;
    }

    /// <summary>Returns once a service was deleted or updated after <paramref name="revision"/>, and things settled for a moment.</summary>
    private async Task WaitForChange(long revision, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var prefix = ObjectStore.Prefix(Services, null);
        await using var changes = objects.Store.WatchAsync(KeyRange.Prefix(prefix), revision + 1, cts.Token).GetAsyncEnumerator(cts.Token);
        while (await changes.MoveNextAsync())
        {
            var e = changes.Current;
            if (e.Type == WatchEventType.Delete || e.Kv.CreateRevision != e.Kv.ModRevision)
                break;
        }
        cts.CancelAfter(Settle);
        try { while (await changes.MoveNextAsync()) { } }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The settle time is up (our own timer, not the server stopping): repair now.
        }
    }
}
