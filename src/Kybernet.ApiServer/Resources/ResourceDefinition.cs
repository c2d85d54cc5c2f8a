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
    /// <summary>The verbs served (discovery lists them; others are 405): all of them, but create only for bindings and reviews.</summary>
    public IReadOnlyList<string> Verbs { get; init; } = AllVerbs;

    /// <summary>
    /// Where the objects are kept, when that is another resource's place: events.k8s.io/v1 events are
    /// the core/v1 events, autoscaling/v1 HPAs the autoscaling/v2 ones, each a view converted on the way
    /// in and out by <see cref="StoredAs.Conversion"/>. Null: the resource's own group and name.
    /// </summary>
    public StoredAs? Storage { get; init; }

    /// <summary>The group and resource name the store keys this resource under ("core" for the core group).</summary>
    public string StorageGroup => Storage?.Group ?? (Group.Length == 0 ? "core" : Group);

    public string StorageResource => Storage?.Resource ?? Resource;

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
        string[]? shortNames = null, string[]? categories = null, string version = "v1") => new()
        {
            Group = group,
            Version = version,
            Kind = kind,
            Resource = resource,
            Singular = singular,
            Namespaced = namespaced,
            ShortNames = shortNames ?? [],
            Categories = categories ?? [],
        };
}

/// <summary>
/// Another resource's storage, seen through a conversion: objects are stored in that resource's form
/// (<see cref="IStoredForm.ToStored"/>) and shown in this one's (<see cref="IStoredForm.FromStored"/>).
/// </summary>
/// <param name="Group">The stored resource's group as keys name it ("core" for the core group).</param>
public sealed record StoredAs(string Group, string Resource, IStoredForm Conversion);

/// <summary>Converts an object between the form a resource is served in and the form it is stored in.</summary>
public interface IStoredForm
{
    System.Text.Json.Nodes.JsonObject ToStored(System.Text.Json.Nodes.JsonObject served);

    System.Text.Json.Nodes.JsonObject FromStored(System.Text.Json.Nodes.JsonObject stored);
}
