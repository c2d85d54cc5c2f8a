using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Controllers.Common;
using Microsoft.Extensions.Logging;

namespace Kybernet.Controllers.DaemonSets;

/// <summary>
/// A DaemonSet's template history as ControllerRevisions (what `kubectl rollout history|undo ds/x` read): one revision
/// per distinct template, named DS-HASH, labelled with the template's labels and controller-revision-hash, carrying the
/// DaemonSet's annotations (kubernetes.io/change-cause) and, as data, the strategic merge patch that puts the template
/// back ({"spec":{"template":{..., "$patch":"replace"}}}). The current template's revision always has the highest
/// number: going back to an old template (rollout undo) renumbers its revision instead of making a new one.
/// </summary>
public sealed class DaemonSetHistory(IKubernetes client, ILogger log)
{
    public const string HashLabel = "controller-revision-hash";

    /// <summary>The data of the revision for <paramref name="ds"/>'s current template.</summary>
    public static JsonObject PatchOf(V1DaemonSet ds)
    {
        var template = JsonNode.Parse(KubernetesJson.Serialize(ds.Spec.Template))!.AsObject();
        template["$patch"] = "replace";
        return new JsonObject { ["spec"] = new JsonObject { ["template"] = template } };
    }

    public static bool Holds(V1ControllerRevision revision, JsonObject patch) =>
        revision.Data is not null && JsonNode.DeepEquals(JsonNode.Parse(KubernetesJson.Serialize(revision.Data)), patch);

    public static string? HashOf(V1ObjectMeta? metadata) => metadata?.Labels?.TryGetValue(HashLabel, out var hash) == true ? hash : null;

    /// <summary>The revision of the current template, made (or renumbered to be the newest) when needed.</summary>
    public async Task<V1ControllerRevision> CurrentAsync(V1DaemonSet ds, IReadOnlyList<V1ControllerRevision> owned, CancellationToken ct)
    {
        var patch = PatchOf(ds);
        var newest = owned.Max(r => r.Revision) ?? 0;
        if (owned.Where(r => Holds(r, patch)).MaxBy(r => r.Revision) is { } existing)
            return await NewestAsync(existing, newest, ct);

        var hash = RevisionHash.Of(ds.Spec.Template, ds.Status?.CollisionCount);
        var labels = new Dictionary<string, string>(ds.Spec.Template.Metadata?.Labels ?? new Dictionary<string, string>()) { [HashLabel] = hash };
        var revision = new V1ControllerRevision
        {
            ApiVersion = "apps/v1",
            Kind = "ControllerRevision",
            Metadata = new V1ObjectMeta
            {
                Name = $"{ds.Name()}-{hash}",
                NamespaceProperty = ds.Namespace(),
                Labels = labels,
                Annotations = ds.Metadata.Annotations is { } annotations ? new Dictionary<string, string>(annotations) : null,
                OwnerReferences = [ControllerRefs.For(ds, DaemonSetController.ApiVersion, DaemonSetController.Kind)],
            },
            Data = patch,
            Revision = newest + 1,
        };
        try
        {
            var created = await client.AppsV1.CreateNamespacedControllerRevisionAsync(revision, ds.Namespace(), cancellationToken: ct);
            log.LogInformation("daemonset {Namespace}/{Name}: revision {Revision} ({Hash})", ds.Namespace(), ds.Name(), created.Revision, hash);
            return created;
        }
        catch (Exception e) when (KubeClient.IsConflict(e))
        {
            // Made meanwhile (our cache lags), or a hash collision with another template.
            var found = await client.AppsV1.ReadNamespacedControllerRevisionAsync(revision.Name(), ds.Namespace(), cancellationToken: ct);
            if (ControllerRefs.IsControlledBy(found.Metadata, ds.Metadata) && Holds(found, patch))
                return await NewestAsync(found, newest, ct);
            var next = (ds.Status?.CollisionCount ?? 0) + 1;
            log.LogWarning("daemonset {Namespace}/{Name}: revision name {Revision} taken by another template; collisionCount {Count}", ds.Namespace(), ds.Name(), revision.Name(), next);
            var bumped = KubernetesJson.Deserialize<V1DaemonSet>(KubernetesJson.Serialize(ds));
            bumped.Status ??= new V1DaemonSetStatus();
            bumped.Status.CollisionCount = next;
            await client.AppsV1.ReplaceNamespacedDaemonSetStatusAsync(bumped, ds.Name(), ds.Namespace(), cancellationToken: ct);
            throw new InvalidOperationException($"daemonset {ds.Namespace()}/{ds.Name()}: revision hash collision, retrying with collisionCount {next}");
        }
    }

    private async Task<V1ControllerRevision> NewestAsync(V1ControllerRevision revision, long newest, CancellationToken ct)
    {
        if (revision.Revision >= newest)
            return revision;
        var renumbered = KubernetesJson.Deserialize<V1ControllerRevision>(KubernetesJson.Serialize(revision));
        renumbered.ApiVersion = "apps/v1";
        renumbered.Kind = "ControllerRevision";
        renumbered.Revision = newest + 1;
        return await client.AppsV1.ReplaceNamespacedControllerRevisionAsync(renumbered, revision.Name(), revision.Namespace(), cancellationToken: ct);
    }

    /// <summary>Deletes the oldest revisions beyond spec.revisionHistoryLimit that no live pod runs.</summary>
    public async Task TruncateAsync(V1DaemonSet ds, IReadOnlyList<V1ControllerRevision> owned, V1ControllerRevision current, ISet<string> liveHashes, CancellationToken ct)
    {
        var limit = ds.Spec.RevisionHistoryLimit ?? 10;
        var old = owned.Where(r => r.Uid() != current.Uid() && !(HashOf(r.Metadata) is { } h && liveHashes.Contains(h)))
            .OrderBy(r => r.Revision).ToList();
        foreach (var revision in old.Take(old.Count - limit))
        {
            try
            {
                await client.AppsV1.DeleteNamespacedControllerRevisionAsync(revision.Name(), revision.Namespace(),
                    new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = revision.Uid() } }, cancellationToken: ct);
            }
            catch (Exception e) when (KubeClient.IsNotFound(e))
            {
                // Gone already.
            }
        }
    }
}
