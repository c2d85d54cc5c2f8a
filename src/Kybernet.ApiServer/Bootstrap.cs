using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Storage;

namespace Kybernet.ApiServer;

/// <summary>
/// What exists from the start in every Kubernetes cluster: the namespaces default, kube-system,
/// kube-public and kube-node-lease, and the "kubernetes" service in default at the first address of
/// the service network. Created if missing; an existing object is left as it is.
/// </summary>
public static class Bootstrap
{
    public static readonly string[] Namespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];

    public static async Task EnsureAsync(ObjectStore objects, ResourceCatalog catalog, string kubernetesServiceIp, int apiPort, CancellationToken ct)
    {
        var namespaces = catalog.Namespaces.Resource;
        foreach (var name in Namespaces)
            await CreateIfMissing(objects, namespaces, null, name, new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Namespace",
                ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["kubernetes.io/metadata.name"] = name } },
                ["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") },
                ["status"] = new JsonObject { ["phase"] = "Active" },
            }, ct);

        var services = catalog.Find("", "v1", "services")!;
        await CreateIfMissing(objects, services, "default", "kubernetes", new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Service",
            ["metadata"] = new JsonObject
            {
                ["name"] = "kubernetes",
                ["namespace"] = "default",
                ["labels"] = new JsonObject { ["component"] = "apiserver", ["provider"] = "kubernetes" },
            },
            ["spec"] = new JsonObject
            {
                ["type"] = "ClusterIP",
                ["clusterIP"] = kubernetesServiceIp,
                ["clusterIPs"] = new JsonArray(kubernetesServiceIp),
                ["sessionAffinity"] = "None",
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = 443, ["protocol"] = "TCP", ["targetPort"] = apiPort }),
            },
            ["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() },
        }, ct);
    }

    private static async Task CreateIfMissing(ObjectStore objects, ResourceDefinition r, string? ns, string name, JsonObject obj, CancellationToken ct)
    {
        if (await objects.GetAsync(r, ns, name, ct) is not null)
            return;
        var meta = ObjectMeta.Metadata(obj);
        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = ObjectMeta.Now();
        try { await objects.CreateAsync(r, ns, name, obj, ct); }
        catch (ApiException e) when (e.Code == 409) { } // another server made it meanwhile
    }
}
