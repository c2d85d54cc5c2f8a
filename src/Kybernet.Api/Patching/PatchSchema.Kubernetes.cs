namespace Kybernet.Api.Patching;

public sealed partial class PatchSchema
{
    /// <summary>Where each kind keeps its pod spec. Declared before <see cref="Kubernetes"/>, which reads it while initializing.</summary>
    internal static readonly IReadOnlyDictionary<string, string> PodSpecPaths = new Dictionary<string, string>
    {
        ["Pod"] = "spec",
        ["PodTemplate"] = "template.spec",
        ["Deployment"] = "spec.template.spec",
        ["ReplicaSet"] = "spec.template.spec",
        ["ReplicationController"] = "spec.template.spec",
        ["DaemonSet"] = "spec.template.spec",
        ["StatefulSet"] = "spec.template.spec",
        ["Job"] = "spec.template.spec",
        ["CronJob"] = "spec.jobTemplate.spec.template.spec",
    };

    /// <summary>
    /// The patch strategies of Kubernetes' built-in types (k8s.io/api v0.32), from the table of merge keys in
    /// the team's kubectl-wire notes ("Strategic merge patch keys"). Every kind that carries a pod spec gets the
    /// pod rules under the path of its pod spec.
    /// </summary>
    /// <remarks>
    /// Simplification: Service <c>spec.ports</c> merges by <c>port</c> alone, as the table says; the
    /// real API server merges them by port and protocol. Lists the table does not name
    /// (tolerations, args, resizePolicy, ...) are replaced whole.
    /// </remarks>
    public static PatchSchema Kubernetes { get; } = new(KubernetesRules());

    private static IEnumerable<ListRule> KubernetesRules()
    {
        // Every object: its metadata, and conditions in its status.
        yield return new(AnyKind, "metadata.ownerReferences", ListStrategy.ByKey("uid"));
        yield return new(AnyKind, "metadata.finalizers", ListStrategy.Set);
        yield return new(AnyKind, "status.conditions", ListStrategy.ByKey("type"));

        foreach (var (kind, spec) in PodSpecPaths)
        {
            yield return new(kind, $"{spec}.volumes", ListStrategy.ByKey("name"));
            yield return new(kind, $"{spec}.imagePullSecrets", ListStrategy.ByKey("name"));
            yield return new(kind, $"{spec}.hostAliases", ListStrategy.ByKey("ip"));
            yield return new(kind, $"{spec}.topologySpreadConstraints", ListStrategy.ByKey("topologyKey"));
            foreach (var containers in new[] { "containers", "initContainers", "ephemeralContainers" })
            {
                var list = $"{spec}.{containers}";
                yield return new(kind, list, ListStrategy.ByKey("name"));
                yield return new(kind, $"{list}.ports", ListStrategy.ByKey("containerPort"));
                yield return new(kind, $"{list}.env", ListStrategy.ByKey("name"));
                yield return new(kind, $"{list}.volumeMounts", ListStrategy.ByKey("mountPath"));
                yield return new(kind, $"{list}.volumeDevices", ListStrategy.ByKey("devicePath"));
            }
        }

        yield return new("Pod", "status.podIPs", ListStrategy.ByKey("ip"));
        yield return new("Node", "status.addresses", ListStrategy.ByKey("type"));
        yield return new("Service", "spec.ports", ListStrategy.ByKey("port"));
    }
}
