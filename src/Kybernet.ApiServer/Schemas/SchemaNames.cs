using System.Reflection;
using System.Text.RegularExpressions;
using k8s.Models;

namespace Kybernet.ApiServer.Schemas;

/// <summary>
/// Upstream's definition names for the official models: "io.k8s.api.core.v1.PodSpec",
/// "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta". The C# class name gives the version and the
/// type ("V1PodSpec"; "Corev1EndpointPort" where two groups share a type name); the Go package is
/// the kind's own group for kinds, meta's for meta's types, and otherwise the group of the first
/// served kind that reaches the type (kinds of the core group are walked first, so the pod types
/// any workload embeds are core's). kubectl explain shows the last segment as a field's type.
/// </summary>
public static partial class SchemaNames
{
    public const string Time = "io.k8s.apimachinery.pkg.apis.meta.v1.Time";
    public const string IntOrString = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";
    public const string Quantity = "io.k8s.apimachinery.pkg.api.resource.Quantity";

    private const string Meta = "io.k8s.apimachinery.pkg.apis.meta.v1";
    public const string Status = Meta + ".Status";
    public const string DeleteOptions = Meta + ".DeleteOptions";

    /// <summary>The types of k8s.io/apimachinery's meta/v1 package among the models.</summary>
    private static readonly HashSet<string> MetaTypes =
    [
        "ObjectMeta", "ListMeta", "LabelSelector", "LabelSelectorRequirement", "OwnerReference", "ManagedFieldsEntry",
        "Status", "StatusDetails", "StatusCause", "DeleteOptions", "Preconditions", "Condition", "WatchEvent",
        "APIResource", "APIResourceList", "APIGroup", "APIGroupList", "APIVersions", "GroupVersionForDiscovery",
        "ServerAddressByClientCIDR", "FieldSelectorRequirement",
    ];

    /// <summary>V1PodSpec, V1beta1X, V2HorizontalPodAutoscaler; or Corev1EndpointPort, Eventsv1Event (the group in the name).</summary>
    [GeneratedRegex(@"^(?:(?<package>[A-Z][a-z]+)v|V)(?<version>\d+(?:(?:alpha|beta)\d+)?)(?<type>[A-Z]\w*)$")]
    private static partial Regex VersionedName();

    /// <summary>The Go package of an API group: core for "", else its first label (apps, batch, discovery, rbac...).</summary>
    public static string PackageOf(string group) => group.Length == 0 ? "core" : group.Split('.')[0];

    /// <summary>The [KubernetesEntity] of a model that is a kind.</summary>
    public static KubernetesEntityAttribute? Entity(Type model) => model.GetCustomAttribute<KubernetesEntityAttribute>();

    /// <summary>The definition name of <paramref name="model"/>, reached from a kind of <paramref name="package"/>.</summary>
    public static string For(Type model, string package)
    {
        var match = VersionedName().Match(model.Name);
        if (!match.Success)
            return $"io.k8s.api.{package}.{model.Name}";
        var version = "v" + match.Groups["version"].Value;
        var type = match.Groups["type"].Value;
        if (match.Groups["package"].Success)
        {
            var named = match.Groups["package"].Value.ToLowerInvariant();
            return named switch
            {
                "apiextensions" => $"io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.{version}.{type}",
                "apiregistration" => $"io.k8s.kube-aggregator.pkg.apis.apiregistration.{version}.{type}",
                _ => $"io.k8s.api.{named}.{version}.{type}",
            };
        }
        if (version == "v1" && MetaTypes.Contains(type))
            return $"{Meta}.{type}";
        var own = Entity(model) is { } entity ? PackageOf(entity.Group ?? "") : package;
        return $"io.k8s.api.{own}.{version}.{type}";
    }
}
