namespace Kybernet.ApiServer.Resources;

/// <summary>
/// One kind of object the server serves, as the URL space and discovery name it: group, version,
/// plural resource name, whether it is namespaced, and the names kubectl accepts (singular, short
/// names, categories such as "all"). What the kind does (defaults, validation, subresources...) is
/// its <see cref="Registry.ResourceStrategy"/>'s.
/// </summary>
public sealed record ResourceDefinition
{
    public required string Group { get; init; }
    public required string Version { get; init; }
    public required string Kind { get; init; }
    /// <summary>The plural, lower-case name used in URLs: "pods".</summary>
    public required string Resource { get; init; }
    public required string Singular { get; init; }
    public required bool Namespaced { get; init; }
    public IReadOnlyList<string> ShortNames { get; init; } = [];
    public IReadOnlyList<string> Categories { get; init; } = [];
    /// <summary>The verbs it serves, as discovery lists them: all of them, but "create" only for reviews.</summary>
    public IReadOnlyList<string> Verbs { get; init; } = AllVerbs;

    /// <summary>"v1" for the core group, "apps/v1" otherwise, as in an object's apiVersion.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public string GroupVersion => ApiVersion;

    /// <summary>The resource with its group, as error messages name it: "pods", "deployments.apps".</summary>
    public string QualifiedResource => Group.Length == 0 ? Resource : $"{Resource}.{Group}";

    public static readonly IReadOnlyList<string> AllVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    /// <summary>A resource of the core group ("v1").</summary>
    public static ResourceDefinition Core(string kind, string resource, string singular, bool namespaced = true,
        string[]? shortNames = null, string[]? categories = null) =>
        Grouped("", kind, resource, singular, namespaced, shortNames, categories);

    /// <summary>A resource of a named group, version v1.</summary>
    public static ResourceDefinition Grouped(string group, string kind, string resource, string singular, bool namespaced = true,
        string[]? shortNames = null, string[]? categories = null) => new()
        {
            Group = group,
            Version = "v1",
            Kind = kind,
            Resource = resource,
            Singular = singular,
            Namespaced = namespaced,
            ShortNames = shortNames ?? [],
            Categories = categories ?? [],
        };
}
