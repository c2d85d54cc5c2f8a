using k8s;
using k8s.Models;
using Kybernet.Controllers.Common;
using Kybernet.Controllers.Endpoints;

namespace Kybernet.Controllers.EndpointSlices;

/// <summary>
/// What to write so a Service's EndpointSlices match its pods, decided as upstream's reconciler decides it, so that
/// few slices change per pod change: per address type and port set, existing slices keep the endpoints still desired
/// (updated in place when one changed), endpoints that went are removed (a slice left empty is deleted), and new
/// endpoints fill first the slices being written anyway (fullest first), then the one unchanged slice they fit best,
/// then new slices of at most the maximum. Slices of address types or port sets no longer wanted, or owned by another
/// Service of the same name, are deleted; a slice about to be deleted is reused for one about to be created. A Service
/// with no endpoints keeps one empty placeholder slice, so consumers can tell "none" from "not yet synced".
/// </summary>
internal sealed class EndpointSlicePlan
{
    public List<V1EndpointSlice> Create { get; } = [];
    public List<V1EndpointSlice> Update { get; } = [];
    public List<V1EndpointSlice> Delete { get; } = [];

    /// <summary>Pods left out because their node is unknown.</summary>
    public List<string> MissingNode { get; } = [];

    public bool IsEmpty => Create.Count == 0 && Update.Count == 0 && Delete.Count == 0;

    public static EndpointSlicePlan For(V1Service service, IEnumerable<V1Pod> pods, IReadOnlyList<V1EndpointSlice> existing, Func<string, V1Node?> nodes, int maxPerSlice)
    {
        var plan = new EndpointSlicePlan();
        var types = AddressTypes(service);
        var podList = pods.ToList();
        foreach (var slice in existing.Where(s => !types.Contains(s.AddressType)))
            plan.Delete.Add(slice);
        foreach (var type in types)
        {
            var desired = DesiredEndpoints.For(service, podList, type, nodes);
            plan.MissingNode.AddRange(desired.MissingNode.Where(p => !plan.MissingNode.Contains(p)));
            plan.PlanAddressType(service, type, [.. existing.Where(s => s.AddressType == type)], desired, maxPerSlice);
        }
        return plan;
    }

    /// <summary>The Service's IP families as address types; a headless Service that names none gets both (upstream's choice).</summary>
    public static IReadOnlyList<string> AddressTypes(V1Service service)
    {
        if (service.Spec?.IpFamilies is { Count: > 0 } families)
            return [.. families.Select(f => f == "IPv6" ? "IPv6" : "IPv4").Distinct()];
        if (!ServicePods.IsHeadless(service))
            return [ServicePods.IsIpv6(service.Spec!.ClusterIP) ? "IPv6" : "IPv4"];
        return ["IPv4", "IPv6"];
    }

    private void PlanAddressType(V1Service service, string type, List<V1EndpointSlice> existing, DesiredEndpoints desired, int maxPerSlice)
    {
        var create = new List<V1EndpointSlice>();
        var update = new List<V1EndpointSlice>();
        var delete = new List<V1EndpointSlice>();
        var owned = new Dictionary<string, List<V1EndpointSlice>>(StringComparer.Ordinal);
        foreach (var slice in existing)
        {
            if (IsOwnedBy(slice, service))
            {
                var key = DesiredEndpoints.PortSetKey(slice.Ports);
                if (!owned.TryGetValue(key, out var list))
                    owned[key] = list = [];
                list.Add(slice);
            }
            else
                delete.Add(slice);
        }
        foreach (var (portKey, group) in desired.Groups)
            PlanPortSet(service, type, owned.GetValueOrDefault(portKey) ?? [], group, maxPerSlice, create, update, delete);
        foreach (var (portKey, slices) in owned)
        {
            if (!desired.Groups.ContainsKey(portKey))
                delete.AddRange(slices);
        }

        if (existing.Count == delete.Count && create.Count == 0)
        {
            var placeholder = NewSlice(service, type, []);
            if (delete.Count == 1 && IsPlaceholderLike(delete[0], placeholder, service))
                delete.Clear(); // it is there already
            else
                create.Add(placeholder);
        }

        // A slice about to be deleted takes the content of one about to be created: one write instead of two.
        for (int i = 0; i < delete.Count && create.Count > 0;)
        {
            if (IsOwnedBy(delete[i], service))
            {
                var reused = Copy(delete[i]);
                var made = create[^1];
                create.RemoveAt(create.Count - 1);
                reused.Metadata.Labels = made.Metadata.Labels;
                reused.Endpoints = made.Endpoints;
                reused.Ports = made.Ports;
                update.Add(reused);
                delete.RemoveAt(i);
            }
            else
                i++;
        }
        Create.AddRange(create);
        Update.AddRange(update);
        Delete.AddRange(delete);
    }

    private static void PlanPortSet(V1Service service, string type, List<V1EndpointSlice> existing, DesiredEndpoints.Group desired, int maxPerSlice,
        List<V1EndpointSlice> create, List<V1EndpointSlice> update, List<V1EndpointSlice> delete)
    {
        var changed = new List<V1EndpointSlice>();
        var unchanged = new List<V1EndpointSlice>();
        var labels = LabelsFor(service);
        // 1. Existing slices keep what is still desired, in its desired form.
        foreach (var slice in existing)
        {
            var kept = new List<V1Endpoint>();
            var endpointChanged = false;
            foreach (var endpoint in slice.Endpoints ?? [])
            {
                if (desired.Take(endpoint) is not { } wanted)
                    continue;
                kept.Add(wanted);
                endpointChanged |= DesiredEndpoints.Describe(wanted) != DesiredEndpoints.Describe(endpoint);
            }
            var labelsChanged = !SameLabels(slice.Metadata.Labels, labels);
            if (endpointChanged || kept.Count != (slice.Endpoints?.Count ?? 0))
            {
                if (kept.Count == 0)
                {
                    delete.Add(slice);
                    continue;
                }
                var copy = Copy(slice);
                copy.Endpoints = kept;
                copy.Metadata.Labels = labels;
                changed.Add(copy);
            }
            else if (labelsChanged)
            {
                var copy = Copy(slice);
                copy.Metadata.Labels = labels;
                changed.Add(copy);
            }
            else
                unchanged.Add(slice);
        }

        // 2. New endpoints go first into the slices written anyway, fullest first.
        foreach (var slice in changed.OrderByDescending(s => s.Endpoints.Count))
        {
            while (desired.Count > 0 && slice.Endpoints.Count < maxPerSlice)
                slice.Endpoints.Add(desired.TakeNext());
        }

        // 3. Then into the unchanged slice they all fit best (when fewer than a slice), else into new slices.
        while (desired.Count > 0)
        {
            V1EndpointSlice? fill = null;
            if (desired.Count < maxPerSlice)
            {
                var best = unchanged.Where(s => s.Endpoints.Count + desired.Count <= maxPerSlice).OrderByDescending(s => s.Endpoints.Count).FirstOrDefault();
                if (best is not null)
                {
                    unchanged.Remove(best);
                    fill = Copy(best);
                    fill.Metadata.Labels = labels;
                    changed.Add(fill);
                }
            }
            if (fill is null)
            {
                fill = NewSlice(service, type, desired.Ports);
                create.Add(fill);
            }
            while (desired.Count > 0 && fill.Endpoints.Count < maxPerSlice)
                fill.Endpoints.Add(desired.TakeNext());
        }
        update.AddRange(changed);
    }

    /// <summary>A new slice of the Service (named by the server from SERVICE-), owned by it, with no endpoints yet.</summary>
    public static V1EndpointSlice NewSlice(V1Service service, string type, IList<Discoveryv1EndpointPort> ports) => new()
    {
        ApiVersion = "discovery.k8s.io/v1",
        Kind = "EndpointSlice",
        Metadata = new V1ObjectMeta
        {
            GenerateName = NamePrefix(service.Name()),
            NamespaceProperty = service.Namespace(),
            Labels = LabelsFor(service),
            OwnerReferences = [ControllerRefs.For(service, "v1", "Service")],
        },
        AddressType = type,
        Endpoints = [],
        Ports = ports,
    };

    /// <summary>SERVICE- (cut so that the server's random suffix still fits a name's 63 characters).</summary>
    private static string NamePrefix(string service) => (service.Length > 57 ? service[..57] : service) + "-";

    /// <summary>
    /// The Service's labels (but the ones the controller owns), plus the Service's name, the controller's, and
    /// service.kubernetes.io/headless for a headless Service.
    /// </summary>
    public static Dictionary<string, string> LabelsFor(V1Service service)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in service.Metadata.Labels ?? new Dictionary<string, string>())
        {
            if (key is not (EndpointLabels.ServiceName or EndpointLabels.ManagedBy or EndpointLabels.Headless))
                labels[key] = value;
        }
        labels[EndpointLabels.ServiceName] = service.Name();
        labels[EndpointLabels.ManagedBy] = EndpointLabels.ManagedByController;
        if (ServicePods.IsHeadless(service))
            labels[EndpointLabels.Headless] = "";
        return labels;
    }

    public static bool IsOwnedBy(V1EndpointSlice slice, V1Service service) =>
        slice.Metadata.OwnerReferences?.Any(o => o.Kind == "Service" && o.ApiVersion == "v1" && o.Uid == service.Uid()) == true;

    private static bool IsPlaceholderLike(V1EndpointSlice slice, V1EndpointSlice placeholder, V1Service service) =>
        (slice.Endpoints?.Count ?? 0) == 0 && (slice.Ports?.Count ?? 0) == 0 && IsOwnedBy(slice, service) && SameLabels(slice.Metadata.Labels, placeholder.Metadata.Labels);

    private static bool SameLabels(IDictionary<string, string>? a, IDictionary<string, string> b) =>
        (a?.Count ?? 0) == b.Count && (a ?? new Dictionary<string, string>()).All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);

    /// <summary>A deep copy to change (informer objects are shared and read-only), with a list of endpoints of its own.</summary>
    private static V1EndpointSlice Copy(V1EndpointSlice slice)
    {
        var copy = KubernetesJson.Deserialize<V1EndpointSlice>(KubernetesJson.Serialize(slice));
        copy.Endpoints = [.. copy.Endpoints ?? []];
        return copy;
    }
}
