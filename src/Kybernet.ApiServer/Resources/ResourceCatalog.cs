namespace Kybernet.ApiServer.Resources;

/// <summary>Every resource the server serves, and lookups by URL parts or by kind.</summary>
public sealed class ResourceCatalog
{
    public ResourceCatalog(IEnumerable<ResourceDefinition> resources) => All = resources.ToList();

    public IReadOnlyList<ResourceDefinition> All { get; }

    public IEnumerable<string> Groups => All.Select(r => r.Group).Where(g => g.Length > 0).Distinct();

    public IEnumerable<ResourceDefinition> InGroupVersion(string group, string version) =>
        All.Where(r => r.Group == group && r.Version == version);

    public ResourceDefinition? Find(string group, string version, string resource) =>
        All.FirstOrDefault(r => r.Group == group && r.Version == version && r.Resource == resource);

    public ResourceDefinition? FindKind(string apiVersion, string kind) =>
        All.FirstOrDefault(r => r.ApiVersion == apiVersion && r.Kind == kind);

    /// <summary>The resources of Kubernetes that Kybernet serves, with upstream's names and short names.</summary>
    public static ResourceCatalog Kubernetes { get; } = new(
    [
        Core("Namespace", "namespaces", "namespace", namespaced: false, shortNames: ["ns"], status: true),
        Core("Node", "nodes", "node", namespaced: false, shortNames: ["no"], status: true),
        Core("Pod", "pods", "pod", shortNames: ["po"], categories: ["all"], status: true),
        Core("Service", "services", "service", shortNames: ["svc"], categories: ["all"], status: true),
        Core("Endpoints", "endpoints", "endpoints", shortNames: ["ep"]),
        Core("ReplicationController", "replicationcontrollers", "replicationcontroller", shortNames: ["rc"], categories: ["all"], status: true, scale: true),
        Core("ConfigMap", "configmaps", "configmap", shortNames: ["cm"]),
        Core("Secret", "secrets", "secret"),
        Core("ServiceAccount", "serviceaccounts", "serviceaccount", shortNames: ["sa"]),
        Core("Event", "events", "event", shortNames: ["ev"]),
        Grouped("apps", "Deployment", "deployments", "deployment", shortNames: ["deploy"], categories: ["all"], status: true, scale: true),
        Grouped("apps", "ReplicaSet", "replicasets", "replicaset", shortNames: ["rs"], categories: ["all"], status: true, scale: true),
        Grouped("discovery.k8s.io", "EndpointSlice", "endpointslices", "endpointslice"),
        Grouped("coordination.k8s.io", "Lease", "leases", "lease"),
        Grouped("networking.k8s.io", "NetworkPolicy", "networkpolicies", "networkpolicy", shortNames: ["netpol"]),
    ]);

    private static ResourceDefinition Core(string kind, string resource, string singular, bool namespaced = true,
        string[]? shortNames = null, string[]? categories = null, bool status = false, bool scale = false) =>
        Grouped("", kind, resource, singular, namespaced, shortNames, categories, status, scale);

    private static ResourceDefinition Grouped(string group, string kind, string resource, string singular, bool namespaced = true,
        string[]? shortNames = null, string[]? categories = null, bool status = false, bool scale = false) => new()
    {
        Group = group,
        Version = "v1",
        Kind = kind,
        Resource = resource,
        Singular = singular,
        Namespaced = namespaced,
        ShortNames = shortNames ?? [],
        Categories = categories ?? [],
        HasStatus = status,
        HasScale = scale,
    };
}
