using Kybernet.ApiServer.Registry;
using Kybernet.ApiServer.Registry.Rbac;
using Kybernet.ApiServer.Registry.Reviews;

namespace Kybernet.ApiServer.Resources;

/// <summary>
/// Every resource the server serves, each with its strategy, and lookups by URL parts or by kind
/// (upstream's storage map of an API group).
/// </summary>
public sealed class ResourceCatalog
{
    private readonly Dictionary<ResourceDefinition, ResourceStrategy> _strategies;

    public ResourceCatalog(IEnumerable<ResourceStrategy> strategies)
    {
        Strategies = strategies.ToList();
        All = Strategies.Select(s => s.Resource).ToList();
        _strategies = Strategies.ToDictionary(s => s.Resource);
        Namespaces = Strategies.OfType<NamespaceStrategy>().Single();
    }

    public IReadOnlyList<ResourceStrategy> Strategies { get; }

    public IReadOnlyList<ResourceDefinition> All { get; }

    /// <summary>The namespaces, which every namespaced resource lives in (creates check them; their termination empties them).</summary>
    public NamespaceStrategy Namespaces { get; }

    public IEnumerable<string> Groups => All.Select(r => r.Group).Where(g => g.Length > 0).Distinct();

    /// <summary>The versions a group is served in, the preferred one first (the first listed in the catalog).</summary>
    public IReadOnlyList<string> Versions(string group) => All.Where(r => r.Group == group).Select(r => r.Version).Distinct().ToList();

    public IEnumerable<ResourceDefinition> InGroupVersion(string group, string version) =>
        All.Where(r => r.Group == group && r.Version == version);

    public ResourceDefinition? Find(string group, string version, string resource) =>
        All.FirstOrDefault(r => r.Group == group && r.Version == version && r.Resource == resource);

    /// <summary>The strategy of a resource of this catalog.</summary>
    public ResourceStrategy StrategyFor(ResourceDefinition r) =>
        _strategies.TryGetValue(r, out var strategy) ? strategy : throw new ArgumentException($"{r.QualifiedResource} is not served by this catalog", nameof(r));

    /// <summary>
    /// The resources of Kubernetes that Kybernet serves, with upstream's names and short names. Kinds
    /// with rules of their own have a strategy class; the rest are served by the generic strategy.
    /// </summary>
    public static ResourceCatalog Kubernetes(ServiceAllocator services) => Kubernetes(services, new PodStrategy());

    private static ResourceCatalog Kubernetes(ServiceAllocator services, PodStrategy pods) => new(
    [
        new NamespaceStrategy(),
        new NodeStrategy(),
        pods,
        new BindingStrategy(pods),
        new ServiceStrategy(services),
        new ResourceStrategy(ResourceDefinition.Core("Endpoints", "endpoints", "endpoints", shortNames: ["ep"])),
        new ReplicationControllerStrategy(),
        new ConfigMapStrategy(),
        new SecretStrategy(),
        new ServiceAccountStrategy(),
        new ResourceStrategy(ResourceDefinition.Core("Event", "events", "event", shortNames: ["ev"])),
        new DeploymentStrategy(),
        new ReplicaSetStrategy(),
        new ResourceStrategy(ResourceDefinition.Grouped("discovery.k8s.io", "EndpointSlice", "endpointslices", "endpointslice")),
        new ResourceStrategy(ResourceDefinition.Grouped("coordination.k8s.io", "Lease", "leases", "lease")),
        new ResourceStrategy(ResourceDefinition.Grouped("networking.k8s.io", "NetworkPolicy", "networkpolicies", "networkpolicy", shortNames: ["netpol"])),
        RoleStrategy.Roles(),
        RoleStrategy.ClusterRoles(),
        RoleBindingStrategy.RoleBindings(),
        RoleBindingStrategy.ClusterRoleBindings(),
        AccessReviewStrategy.Self(),
        AccessReviewStrategy.Subject(),
        AccessReviewStrategy.Local(),
        new RulesReviewStrategy(),
        IdentityReviewStrategy.TokenReviews(),
        IdentityReviewStrategy.SelfSubjectReviews(),
        new PersistentVolumeClaimStrategy(),
        new PersistentVolumeStrategy(),
        new ResourceQuotaStrategy(),
        new ResourceStrategy(ResourceDefinition.Core("LimitRange", "limitranges", "limitrange", shortNames: ["limits"])),
        new JobStrategy(),
        new CronJobStrategy(),
        new DaemonSetStrategy(),
        // The template history of DaemonSets and StatefulSets (rollout history/undo read it): plain stored objects.
        new ResourceStrategy(ResourceDefinition.Grouped("apps", "ControllerRevision", "controllerrevisions", "controllerrevision")),
        new StatefulSetStrategy(),
        new PodDisruptionBudgetStrategy(),
        new HorizontalPodAutoscalerStrategy(),
        new HorizontalPodAutoscalerStrategy(AutoscalingV1Form.Resource),
        new ResourceStrategy(EventsV1Form.Resource),
        new IngressStrategy(),
        new IngressClassStrategy(),
        new PriorityClassStrategy(),
    ]);
}
