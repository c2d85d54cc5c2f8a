using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Storage;
using Kybernet.Store;
using Microsoft.Extensions.Logging;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// Keeps the built-in objects (<see cref="Bootstrap"/>) as the server wants them, as upstream's
/// apiserver reconcilers do for the kubernetes service and its endpoints, the system namespaces and
/// the system priority classes: one missing is created again (through the registry, with its
/// defaults, checks and claims), and the fields the server owns (the service's type and ports, the
/// endpoints' addresses and ports, the labels it sets) are put back if someone changed them. Other
/// fields (labels users add) are left alone. A pass runs at start, every <see cref="Period"/>, and at
/// once when one of them is deleted. An object still being deleted (a namespace emptying) is left to
/// finish; its deletion wakes the next pass. Changes are repaired by the periodic pass only: two
/// servers on one store that disagree (test servers on different ports) then take turns every
/// period, instead of waking each other at once without end.
/// </summary>
public sealed class BuiltInRepair(Bootstrap bootstrap, ObjectStore objects, ResourceCatalog catalog, ResourceRegistry registry, ServiceClaimRepair claims,
    ILogger<BuiltInRepair> log)
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                long revision = await objects.Store.CurrentRevisionAsync(ct);
                await RepairAsync(ct);
                await WaitForChange(revision, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return; // the server is stopping
            }
            catch (Exception e)
            {
                log.LogError(e, "Repairing the built-in objects (kubernetes service, system namespaces, priority classes) failed; retrying in 1 s");
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
    }

    /// <summary>One pass over every built-in object; returns how many it created or repaired.</summary>
    public async Task<int> RepairAsync(CancellationToken ct)
    {
        int changed = 0;
        foreach (var builtIn in bootstrap.Objects())
        {
            var r = catalog.All.First(d => d.Group == builtIn.Group && d.Resource == builtIn.Resource && d.Storage is null);
            var strategy = catalog.StrategyFor(r);
            var current = await objects.GetAsync(r, builtIn.Namespace, builtIn.Name, ct);
            try
            {
                if (current is null)
                {
                    // A deleted service's cluster IP stays claimed until the claim repair frees it: free it first.
                    if (builtIn.Resource == "services")
                        await claims.RepairAsync(ct);
                    await registry.CreateAsync(strategy, builtIn.Namespace, (JsonObject)builtIn.Desired.DeepClone(), dryRun: false, ct);
                    log.LogInformation("Created the built-in {Resource} {Name}", r.QualifiedResource, Describe(builtIn));
                    changed++;
                }
                else if (!ObjectMeta.IsDeleting(current) && Repaired(current, builtIn.Desired) is { } repaired)
                {
                    await registry.UpdateAsync(strategy, builtIn.Namespace, builtIn.Name, current, repaired, dryRun: false, ct);
                    log.LogInformation("Repaired the built-in {Resource} {Name}", r.QualifiedResource, Describe(builtIn));
                    changed++;
                }
            }
            catch (ApiException e) when (e.Reason is "AlreadyExists" or "Conflict" or "NotFound")
            {
                // Another writer (another server's repair, a client) got there between our read and our write: the next pass looks again.
            }
        }
        return changed;
    }

    private static string Describe(Bootstrap.BuiltIn b) => b.Namespace is null ? b.Name : $"{b.Namespace}/{b.Name}";

    /// <summary>The stored object with what the server owns put back, or null when nothing of that changed.</summary>
    public static JsonObject? Repaired(JsonObject current, JsonObject desired)
    {
        var next = (JsonObject)current.DeepClone();
        foreach (var (field, value) in desired)
        {
            switch (field)
            {
                case "apiVersion" or "kind":
                    break;
                case "metadata":
                    // The labels the server sets stay set; others are the users'.
                    if (value?["labels"] is JsonObject labels)
                        foreach (var (key, label) in labels)
                            Defaults.Object(ObjectMeta.Metadata(next), "labels")[key] = label?.DeepClone();
                    break;
                case "spec" when value is JsonObject spec:
                    // Of a spec, the fields given (a namespace's spec is the server's finalizers: not touched).
                    foreach (var (key, v) in spec)
                        if (key != "clusterIP" && key != "clusterIPs")
                            Defaults.Object(next, "spec")[key] = v?.DeepClone();
                    break;
                default:
                    next[field] = value?.DeepClone();
                    break;
            }
        }
        return JsonNode.DeepEquals(next, current) ? null : next;
    }

    /// <summary>Returns when a built-in object was deleted after <paramref name="revision"/>, or after <see cref="Period"/>.</summary>
    private async Task WaitForChange(long revision, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var keys = bootstrap.Objects()
            .Select(b => ObjectStore.Key(catalog.All.First(d => d.Group == b.Group && d.Resource == b.Resource && d.Storage is null), b.Namespace, b.Name))
            .ToHashSet(StringComparer.Ordinal);
        var prefixes = keys.Select(k => k[..(k.LastIndexOf('/') + 1)]).Distinct().ToList();
        var watches = prefixes.Select(p => FirstChange(p, keys, revision, cts.Token)).ToList();
        await Task.WhenAny([.. watches, Task.Delay(Period, cts.Token)]);
        await cts.CancelAsync();
        foreach (var watch in watches)
        {
            try { await watch; }
            catch (OperationCanceledException)
            {
                // Cancelled above once one of them (or the period) ended the wait.
            }
        }
        ct.ThrowIfCancellationRequested();
    }

    private async Task FirstChange(string prefix, HashSet<string> keys, long revision, CancellationToken ct)
    {
        await foreach (var e in objects.Store.WatchAsync(KeyRange.Prefix(prefix), revision + 1, ct))
            if (e.Type == WatchEventType.Delete && keys.Contains(e.Kv.Key))
                return;
    }
}
