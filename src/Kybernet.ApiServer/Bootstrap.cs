using System.Text.Json.Nodes;
using Kybernet.ApiServer.Registry;

namespace Kybernet.ApiServer;

/// <summary>
/// What exists from the start in every Kubernetes cluster, as the server wants it: the namespaces
/// default, kube-system, kube-public and kube-node-lease; the "kubernetes" service in default at the
/// first address of the service network, port 443 to the server's port, with its Endpoints and
/// EndpointSlice naming the server's address; and the built-in priority classes. <see cref="BuiltInRepair"/>
/// keeps them so.
/// </summary>
public sealed record Bootstrap(string KubernetesServiceIp, string AdvertiseAddress, int ApiPort)
{
    public static readonly string[] Namespaces = ["default", "kube-system", "kube-public", "kube-node-lease"];

    /// <summary>One object the server keeps: its resource, namespace and name, and what it must be.</summary>
    public sealed record BuiltIn(string Group, string Resource, string? Namespace, string Name, JsonObject Desired)
    {
        /// <summary>The desired object as a request would carry it (numbers read from JSON, as every check expects them).</summary>
        public JsonObject Desired { get; } = (JsonObject)JsonNode.Parse(Desired.ToJsonString())!;
    }

    public IEnumerable<BuiltIn> Objects()
    {
        foreach (var name in Namespaces)
            yield return new("", "namespaces", null, name, new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Namespace",
                ["metadata"] = new JsonObject { ["name"] = name },
                ["spec"] = new JsonObject(),
            });
        yield return new("", "services", "default", "kubernetes", new JsonObject
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
                ["clusterIP"] = KubernetesServiceIp,
                ["clusterIPs"] = new JsonArray(KubernetesServiceIp),
                ["sessionAffinity"] = "None",
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = 443, ["protocol"] = "TCP", ["targetPort"] = ApiPort }),
            },
        });
        yield return new("", "endpoints", "default", "kubernetes", new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Endpoints",
            // Upstream's label: the EndpointSlice mirroring controller leaves these to the server.
            ["metadata"] = new JsonObject
            {
                ["name"] = "kubernetes",
                ["namespace"] = "default",
                ["labels"] = new JsonObject { ["endpointslice.kubernetes.io/skip-mirror"] = "true" },
            },
            ["subsets"] = new JsonArray(new JsonObject
            {
                ["addresses"] = new JsonArray(new JsonObject { ["ip"] = AdvertiseAddress }),
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = ApiPort, ["protocol"] = "TCP" }),
            }),
        });
        yield return new("discovery.k8s.io", "endpointslices", "default", "kubernetes", new JsonObject
        {
            ["apiVersion"] = "discovery.k8s.io/v1",
            ["kind"] = "EndpointSlice",
            ["metadata"] = new JsonObject
            {
                ["name"] = "kubernetes",
                ["namespace"] = "default",
                ["labels"] = new JsonObject { ["kubernetes.io/service-name"] = "kubernetes" },
            },
            ["addressType"] = "IPv4",
            ["endpoints"] = new JsonArray(new JsonObject
            {
                ["addresses"] = new JsonArray(AdvertiseAddress),
                ["conditions"] = new JsonObject { ["ready"] = true },
            }),
            ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = ApiPort, ["protocol"] = "TCP" }),
        });
        foreach (var (name, value, description) in PriorityClassStrategy.SystemClasses)
            yield return new("scheduling.k8s.io", "priorityclasses", null, name, new JsonObject
            {
                ["apiVersion"] = "scheduling.k8s.io/v1",
                ["kind"] = "PriorityClass",
                ["metadata"] = new JsonObject { ["name"] = name },
                ["value"] = value,
                ["description"] = description,
                ["preemptionPolicy"] = "PreemptLowerPriority",
            });
    }
}
