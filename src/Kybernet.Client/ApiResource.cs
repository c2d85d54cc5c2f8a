namespace Kybernet.Client;

/// <summary>Where a resource lives in the API: group ("" for the core group), version and plural name, and whether it is namespaced.</summary>
public sealed record ApiResource(string Group, string Version, string Plural, bool Namespaced)
{
    public static readonly ApiResource Namespaces = new("", "v1", "namespaces", false);
    public static readonly ApiResource Nodes = new("", "v1", "nodes", false);
    public static readonly ApiResource Pods = new("", "v1", "pods", true);
    public static readonly ApiResource Services = new("", "v1", "services", true);
    public static readonly ApiResource Endpoints = new("", "v1", "endpoints", true);
    public static readonly ApiResource ConfigMaps = new("", "v1", "configmaps", true);
    public static readonly ApiResource Secrets = new("", "v1", "secrets", true);
    public static readonly ApiResource Events = new("", "v1", "events", true);
    public static readonly ApiResource ReplicationControllers = new("", "v1", "replicationcontrollers", true);
    public static readonly ApiResource ReplicaSets = new("apps", "v1", "replicasets", true);
    public static readonly ApiResource Deployments = new("apps", "v1", "deployments", true);
    public static readonly ApiResource DaemonSets = new("apps", "v1", "daemonsets", true);
    public static readonly ApiResource ControllerRevisions = new("apps", "v1", "controllerrevisions", true);
    public static readonly ApiResource Jobs = new("batch", "v1", "jobs", true);
    public static readonly ApiResource EndpointSlices = new("discovery.k8s.io", "v1", "endpointslices", true);
    public static readonly ApiResource Leases = new("coordination.k8s.io", "v1", "leases", true);

    /// <summary>"nodes", "deployments.apps": how errors and logs name it.</summary>
    public string QualifiedName => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    /// <summary>"v1", "apps/v1": an object's apiVersion.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public override string ToString() => QualifiedName;
}
