using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Lifecycle;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Kybernet.ApiServer.Registry.Subresources;

/// <summary>
/// pods/NAME/eviction (policy/v1 Eviction, what `kubectl drain` posts): deletes the pod, with the
/// Eviction's deleteOptions, unless the PodDisruptionBudget that covers it allows no disruption now:
/// then 429 TooManyRequests with upstream's message and a DisruptionBudget cause, so drain retries.
/// The budget is reckoned at the eviction (<see cref="DisruptionBudget"/>) and written to the PDB's
/// status; a pod covered by more than one PDB is a 500, as upstream. A finished pod, or one already
/// being deleted, is deleted without asking its budget.
/// </summary>
public sealed class EvictionSubresource(PodStrategy pods) : ActionSubresource
{
    public const string ViolationMessage = "Cannot evict pod as it would violate the pod's disruption budget.";

    public override string Name => "eviction";

    public override GroupVersionKind ResponseKind { get; } = new("policy", "v1", "Eviction");

    public override async Task<(int Status, JsonObject Body)> PostAsync(ActionRequest request, CancellationToken cancellationToken)
    {
        var objects = request.Services.GetRequiredService<ObjectStore>();
        var catalog = request.Services.GetRequiredService<ResourceCatalog>();
        var deleter = request.Services.GetRequiredService<Deleter>();
        var (ns, name) = (request.Namespace!, request.Name);
        if (ObjectMeta.Name(request.Body) is { Length: > 0 } bodyName && bodyName != name)
            throw ApiException.BadRequest("name in URL does not match name in Eviction object");
        var options = DeleteOptions.From(request.Body["deleteOptions"] as JsonObject, request.Http);
        if (request.DryRun)
            options = options with { DryRun = true };

        var pod = await objects.GetAsync(pods.Resource, ns, name, cancellationToken)
            ?? throw ApiException.NotFound(pods.Resource.QualifiedResource, name, "", pods.Resource.Resource);
        bool finished = ObjectMeta.Str(pod["status"]?["phase"]) is "Succeeded" or "Failed";
        if (!finished && !ObjectMeta.IsDeleting(pod))
            await CheckBudgetAsync(objects, catalog, pod, options.DryRun, cancellationToken);
        await deleter.Delete(pods.Resource, ns, name, options, cancellationToken);
        return (201, new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success", ["code"] = 201 });
    }

    private static async Task CheckBudgetAsync(ObjectStore objects, ResourceCatalog catalog, JsonObject pod, bool dryRun, CancellationToken ct)
    {
        var ns = ObjectMeta.Namespace(pod)!;
        var pdbs = catalog.Find("policy", "v1", "poddisruptionbudgets")!;
        var (budgets, _) = await objects.ListAsync(pdbs, ns, ct);
        var covering = budgets.Where(b => DisruptionBudget.Selects(b, pod)).ToList();
        if (covering.Count == 0)
            return;
        if (covering.Count > 1)
            throw new ApiException(500, "InternalError", "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.");
        var pdb = covering[0];
        var (all, _) = await objects.ListAsync(catalog.Find("", "v1", "pods")!, ns, ct);
        var budget = DisruptionBudget.Reckon(pdb, all);
        if (!Allows(pdb, pod, budget))
        {
            await WriteStatusAsync(objects, pdbs, pdb, budget, dryRun, ct);
            throw new ApiException(429, "TooManyRequests", ViolationMessage, causes:
                [new StatusCause("DisruptionBudget", $"The disruption budget {ObjectMeta.Name(pdb)} needs {budget.DesiredHealthy} healthy pods and has {budget.CurrentHealthy} currently", "")]);
        }
        // This eviction uses one of the disruptions allowed.
        var after = DisruptionBudget.IsHealthy(pod) ? budget with { CurrentHealthy = budget.CurrentHealthy - 1 } : budget;
        await WriteStatusAsync(objects, pdbs, pdb, after, dryRun, ct);
    }

    /// <summary>
    /// A healthy pod may go while the budget allows a disruption. An unhealthy one costs the budget
    /// nothing: under AlwaysAllow it may always go, under IfHealthyBudget (the default) while the
    /// healthy pods are enough.
    /// </summary>
    public static bool Allows(JsonObject pdb, JsonObject pod, DisruptionBudget budget)
    {
        if (DisruptionBudget.IsHealthy(pod))
            return budget.DisruptionsAllowed > 0;
        return ObjectMeta.Str(pdb["spec"]?["unhealthyPodEvictionPolicy"]) == "AlwaysAllow" || budget.CurrentHealthy >= budget.DesiredHealthy;
    }

    private static async Task WriteStatusAsync(ObjectStore objects, ResourceDefinition pdbs, JsonObject pdb, DisruptionBudget budget, bool dryRun, CancellationToken ct)
    {
        if (dryRun)
            return;
        var next = (JsonObject)pdb.DeepClone();
        budget.WriteStatus(next);
        if (JsonNode.DeepEquals(next["status"], pdb["status"]))
            return;
        try { await objects.UpdateAsync(pdbs, ObjectMeta.Namespace(pdb), ObjectMeta.Name(pdb)!, next, ObjectMeta.Revision(pdb), ct); }
        catch (ApiException e) when (e.Reason is "Conflict" or "NotFound")
        {
            // The PDB changed or went meanwhile: its status is only this moment's reckoning, the next eviction writes it again.
        }
    }
}
