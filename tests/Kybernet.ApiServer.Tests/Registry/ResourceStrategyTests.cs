using Kybernet.ApiServer.Registry;
using Kybernet.ApiServer.Resources;
using static Kybernet.ApiServer.Tests.Registry.StrategyAssert;

namespace Kybernet.ApiServer.Tests.Registry;

/// <summary>The generic strategy, which serves the kinds without rules of their own (ConfigMaps, Endpoints, Leases...).</summary>
public sealed class ResourceStrategyTests
{
    private readonly ResourceStrategy _configMaps = new(ResourceDefinition.Core("ConfigMap", "configmaps", "configmap"));

    [Fact]
    public void Names_are_dns_subdomains_labels_are_checked_and_nothing_else_is_touched()
    {
        var cm = Obj("""{"metadata":{"name":"app.settings","labels":{"tier":"front"}},"data":{"k":"v"},"status":{"kept":true}}""");
        var before = cm.ToJsonString();
        _configMaps.PrepareForCreate(cm);
        _configMaps.Default(cm);
        Assert.Equal(before, cm.ToJsonString());
        NoCauses(_configMaps.ValidateCreate(cm));

        HasCause(_configMaps.ValidateCreate(Obj("""{"metadata":{}}""")), "FieldValueRequired", "metadata.name");
        HasCause(_configMaps.ValidateCreate(Obj("""{"metadata":{"name":"Bad_Name"}}""")), "FieldValueInvalid", "metadata.name");
        HasCause(_configMaps.ValidateCreate(Obj("""{"metadata":{"name":"ok","labels":{"bad key!":"v"}}}""")), "FieldValueInvalid", "metadata.labels");
        HasCause(_configMaps.ValidateCreate(Obj("""{"metadata":{"name":"ok","labels":{"k":"bad value!"}}}""")), "FieldValueInvalid", "metadata.labels");
    }

    [Fact]
    public void It_has_no_subresources_and_goes_when_its_finalizers_do()
    {
        Assert.Empty(_configMaps.Subresources);
        Assert.Null(_configMaps.FindSubresource("status"));
        Assert.False(_configMaps.MarksBeforeRemoval);
        Assert.True(_configMaps.CanRemove(Obj("""{"metadata":{"name":"a","finalizers":[]}}""")));
        Assert.False(_configMaps.CanRemove(Obj("""{"metadata":{"name":"a","finalizers":["x/y"]}}""")));
    }

    [Fact]
    public void Every_resource_of_the_catalog_has_its_strategy_and_the_subresources_upstream_has()
    {
        var catalog = ResourceCatalog.Kubernetes(new ServiceAllocator(null!)); // only looked at: the allocator is never asked
        // Each resource once (HPAs are served as autoscaling/v2 and v1, with the same subresources).
        var subresources = catalog.Strategies.GroupBy(s => s.Resource.QualifiedResource)
            .ToDictionary(g => g.Key, g => string.Join(",", g.First().Subresources.Select(x => x.Name)));
        Assert.Equal("status,finalize", subresources["namespaces"]);
        Assert.Equal("status,proxy", subresources["nodes"]);
        Assert.Equal("status,binding,eviction,log,exec,attach,portforward,proxy", subresources["pods"]);
        Assert.Equal("status,proxy", subresources["services"]);
        Assert.Equal("status,scale", subresources["deployments.apps"]);
        Assert.Equal("status,scale", subresources["replicasets.apps"]);
        Assert.Equal("status,scale", subresources["statefulsets.apps"]);
        Assert.Equal("status,scale", subresources["replicationcontrollers"]);
        Assert.Equal("token", subresources["serviceaccounts"]);
        Assert.All(new[] { "jobs.batch", "cronjobs.batch", "daemonsets.apps", "poddisruptionbudgets.policy", "horizontalpodautoscalers.autoscaling",
            "persistentvolumeclaims", "persistentvolumes", "resourcequotas", "ingresses.networking.k8s.io" }, r => Assert.Equal("status", subresources[r]));
        Assert.All(new[] { "configmaps", "secrets", "endpoints", "events", "endpointslices.discovery.k8s.io", "leases.coordination.k8s.io",
            "networkpolicies.networking.k8s.io", "limitranges", "events.events.k8s.io", "ingressclasses.networking.k8s.io", "priorityclasses.scheduling.k8s.io",
            "roles.rbac.authorization.k8s.io", "clusterrolebindings.rbac.authorization.k8s.io" },
            r => Assert.Equal("", subresources[r]));
        Assert.All(catalog.All, r => Assert.Same(r, catalog.StrategyFor(r).Resource));
    }
}
