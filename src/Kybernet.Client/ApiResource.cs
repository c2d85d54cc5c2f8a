namespace Kybernet.Client;

/// <summary>Where a resource lives in the API: group ("" for the core group), version and plural name, and whether it is namespaced.</summary>
public sealed record ApiResource(string Group, string Version, string Plural, bool Namespaced)
{
    public static readonly ApiResource Namespaces = new("", "v1", "namespaces", false);
    public static readonly ApiResource Nodes = new("", "v1", "nodes", false);
    public static readonly ApiResource Pods = new("", "v1", "pods", true);
    public static readonly ApiResource Services = new("", "v1", "services", true);

    /// <summary>"nodes", "deployments.apps": how errors and logs name it.</summary>
    public string QualifiedName => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    /// <summary>"v1", "apps/v1": an object's apiVersion.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public override string ToString() => QualifiedName;
}
