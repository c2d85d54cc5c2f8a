using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Storage;
using Microsoft.Extensions.Logging;

namespace Kybernet.ApiServer.Security.Rbac;

/// <summary>
/// Keeps the <see cref="BootstrapPolicy"/> in place, as upstream's apiserver does at start and then
/// periodically: a missing default role or binding is created again; one whose autoupdate annotation
/// is "true" gets back the rules, subjects, labels and annotations it lost (what users added stays),
/// and a binding whose roleRef was made to point elsewhere is deleted and made again (roleRef cannot be
/// changed in place). One set to autoupdate "false" is left as its owner made it. Each pass also
/// writes the gathered rules of every aggregated cluster role into it (upstream's clusterrole
/// aggregation controller), so `kubectl get clusterrole admin -o yaml` shows what it grants.
/// </summary>
public sealed class BootstrapPolicyReconciler(ObjectStore objects, ResourceRegistry registry, ResourceCatalog catalog, ILogger<BootstrapPolicyReconciler> log)
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(10);

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(Period, ct);
            try { await ReconcileAsync(ct); }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogError(e, "Reconciling the default RBAC roles and bindings failed; trying again in {Period} s", Period.TotalSeconds);
            }
        }
    }

    /// <summary>One pass over every default role and binding, then the aggregated roles.</summary>
    public async Task ReconcileAsync(CancellationToken ct)
    {
        var roles = catalog.StrategyFor(RbacResources.ClusterRoles);
        var bindings = catalog.StrategyFor(RbacResources.ClusterRoleBindings);
        foreach (var wanted in BootstrapPolicy.ClusterRoles())
            await EnsureAsync(roles, wanted, MergeRole, ct);
        foreach (var wanted in BootstrapPolicy.ClusterRoleBindings())
            await EnsureAsync(bindings, wanted, MergeBinding, ct);
        await AggregateAsync(roles, ct);
    }

    private async Task EnsureAsync(ResourceStrategy strategy, JsonObject wanted, Func<JsonObject, JsonObject, JsonObject?> merge, CancellationToken ct)
    {
        var r = strategy.Resource;
        var name = ObjectMeta.Name(wanted)!;
        var current = await objects.GetAsync(r, null, name, ct);
        if (current is null)
        {
            try
            {
                await registry.CreateAsync(strategy, null, (JsonObject)wanted.DeepClone(), dryRun: false, ct);
                log.LogInformation("Created {Resource} {Name} (a default of RBAC)", r.QualifiedResource, name);
            }
            catch (ApiException e) when (e.Reason == "AlreadyExists")
            {
                // Made meanwhile by another server or a user: looked at again on the next pass.
            }
            return;
        }
        if (ObjectMeta.Str(current["metadata"]?["annotations"]?[BootstrapPolicy.AutoUpdateAnnotation]) != "true")
            return;
        if (r == RbacResources.ClusterRoleBindings && !JsonNode.DeepEquals(current["roleRef"], wanted["roleRef"]))
        {
            await objects.DeleteAsync(r, null, name, ObjectMeta.Revision(current), ct);
            await registry.CreateAsync(strategy, null, (JsonObject)wanted.DeepClone(), dryRun: false, ct);
            log.LogInformation("Recreated {Resource} {Name}: its roleRef had been changed", r.QualifiedResource, name);
            return;
        }
        if (merge(current, wanted) is { } next)
        {
            await registry.UpdateAsync(strategy, null, name, current, next, dryRun: false, ct);
            log.LogInformation("Restored what {Resource} {Name} lost of its defaults", r.QualifiedResource, name);
        }
    }

    /// <summary>The role with the default rules, labels and annotations it lacks; null when it lacks none.</summary>
    private static JsonObject? MergeRole(JsonObject current, JsonObject wanted)
    {
        var next = (JsonObject)current.DeepClone();
        bool changed = MergeMetadata(next, wanted);
        if (wanted["aggregationRule"] is { } aggregation)
        {
            if (next["aggregationRule"] is null)
            {
                next["aggregationRule"] = aggregation.DeepClone();
                changed = true;
            }
        }
        else
        {
            var have = PolicyRule.ListFrom(next["rules"]);
            var rules = next["rules"] as JsonArray ?? [];
            foreach (var rule in PolicyRule.ListFrom(wanted["rules"]).Where(w => !have.Any(h => h.SameAs(w))))
            {
                rules.Add(rule.ToJson());
                changed = true;
            }
            next["rules"] = rules;
        }
        return changed ? next : null;
    }

    /// <summary>The binding with the default subjects, labels and annotations it lacks; null when it lacks none.</summary>
    private static JsonObject? MergeBinding(JsonObject current, JsonObject wanted)
    {
        var next = (JsonObject)current.DeepClone();
        bool changed = MergeMetadata(next, wanted);
        var subjects = next["subjects"] as JsonArray ?? [];
        foreach (var subject in (wanted["subjects"] as JsonArray ?? []).OfType<JsonObject>())
        {
            bool present = subjects.OfType<JsonObject>().Any(s => ObjectMeta.Str(s["kind"]) == ObjectMeta.Str(subject["kind"])
                && ObjectMeta.Str(s["name"]) == ObjectMeta.Str(subject["name"]) && ObjectMeta.Str(s["namespace"]) == ObjectMeta.Str(subject["namespace"]));
            if (!present)
            {
                subjects.Add(subject.DeepClone());
                changed = true;
            }
        }
        next["subjects"] = subjects;
        return changed ? next : null;
    }

    private static bool MergeMetadata(JsonObject next, JsonObject wanted)
    {
        bool changed = false;
        var meta = ObjectMeta.Metadata(next);
        foreach (var field in new[] { "labels", "annotations" })
        {
            var have = meta[field] as JsonObject ?? [];
            foreach (var (key, value) in (JsonObject)wanted["metadata"]![field]!)
                if (!have.ContainsKey(key))
                {
                    have[key] = value?.DeepClone();
                    changed = true;
                }
            meta[field] = have;
        }
        return changed;
    }

    /// <summary>Writes each aggregated cluster role's gathered rules into it, when they differ.</summary>
    private async Task AggregateAsync(ResourceStrategy strategy, CancellationToken ct)
    {
        var (all, _) = await objects.ListAsync(strategy.Resource, null, ct);
        foreach (var role in all.Where(r => r["aggregationRule"] is JsonObject))
        {
            var gathered = new JsonArray(RbacPolicy.Aggregate((JsonObject)role["aggregationRule"]!, all).Select(r => (JsonNode?)r.ToJson()).ToArray());
            if (JsonNode.DeepEquals(gathered, role["rules"] ?? new JsonArray()))
                continue;
            var next = (JsonObject)role.DeepClone();
            next["rules"] = gathered;
            try { await registry.UpdateAsync(strategy, null, ObjectMeta.Name(role)!, role, next, dryRun: false, ct); }
            catch (ApiException e) when (e.Reason is "Conflict" or "NotFound")
            {
                // Changed or deleted meanwhile: gathered again on the next pass.
            }
        }
    }
}
