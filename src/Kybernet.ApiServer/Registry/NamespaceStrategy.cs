using System.Text.Json.Nodes;
using Kybernet.Api.Names;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// Namespaces (upstream's namespace strategy and registry): a new one is Active and carries the
/// "kubernetes" finalizer in spec.finalizers, which only namespaces/NAME/finalize changes. Deleting
/// one marks it Terminating instead (its contents go first; the protected ones cannot be deleted);
/// once it has neither spec.finalizers nor metadata.finalizers, it goes: at the write that removes
/// the last one, or when it is deleted again.
/// </summary>
public sealed class NamespaceStrategy : ResourceStrategy
{
    /// <summary>The finalizer of the namespace controller, which empties a terminating namespace.</summary>
    public const string KubernetesFinalizer = "kubernetes";

    /// <summary>The label upstream gives every namespace, so selectors can pick namespaces by name.</summary>
    public const string NameLabel = "kubernetes.io/metadata.name";

    /// <summary>Namespaces every cluster needs (upstream refuses to delete them too).</summary>
    public static readonly IReadOnlySet<string> Protected = new HashSet<string> { "default", "kube-system", "kube-public" };

    public NamespaceStrategy() : base(ResourceDefinition.Core("Namespace", "namespaces", "namespace", namespaced: false, shortNames: ["ns"]))
    {
        Finalize = new FinalizeSubresource(this);
        Subresources = [new StatusSubresource(this), Finalize];
    }

    public override IReadOnlyList<Subresource> Subresources { get; }

    /// <summary>namespaces/NAME/finalize, which the namespace controller writes once a namespace is empty.</summary>
    public FinalizeSubresource Finalize { get; }

    /// <summary>
    /// Active, and held by the "kubernetes" finalizer. (Not a default: a default would come back on
    /// every update, and the finalizer is meant to be removed over the namespace's life.)
    /// </summary>
    public override void PrepareForCreate(JsonObject obj)
    {
        obj["status"] = new JsonObject { ["phase"] = "Active" };
        var spec = Defaults.Object(obj, "spec");
        if (spec["finalizers"] is not JsonArray finalizers)
            spec["finalizers"] = finalizers = [];
        if (!finalizers.Any(f => ObjectMeta.Str(f) == KubernetesFinalizer))
            finalizers.Add(KubernetesFinalizer);
    }

    public override void Default(JsonObject obj)
    {
        if (ObjectMeta.Name(obj) is { Length: > 0 } name)
            Defaults.Object(ObjectMeta.Metadata(obj), "labels")[NameLabel] = name;
    }

    /// <summary>The status is the server's, and spec.finalizers change only through /finalize.</summary>
    public override void PrepareForUpdate(JsonObject next, JsonObject current)
    {
        KeepStatus(next, current);
        var finalizers = current["spec"]?["finalizers"]?.DeepClone();
        if (finalizers is not null)
            Defaults.Object(next, "spec")["finalizers"] = finalizers;
        else
            (next["spec"] as JsonObject)?.Remove("finalizers");
    }

    protected override IReadOnlyList<string> ValidateName(string name) => NameValidation.IsDns1123Label(name);

    protected override void Validate(JsonObject obj, List<StatusCause> causes)
    {
        var finalizers = obj["spec"]?["finalizers"] as JsonArray ?? [];
        for (int i = 0; i < finalizers.Count; i++)
        {
            var name = ObjectMeta.Str(finalizers[i]) ?? "";
            causes.AddRange(LabelSyntax.IsQualifiedName(name).Select(p => Causes.Invalid($"spec.finalizers[{i}]", name, p)));
        }
    }

    public override void ValidateDelete(string name)
    {
        if (Protected.Contains(name))
            throw new ApiException(403, "Forbidden", $"namespaces \"{name}\" is forbidden: this namespace may not be deleted", name, "", "namespaces");
    }

    public override bool MarksBeforeRemoval => true;

    public override void PrepareForDelete(JsonObject marked) => Defaults.Object(marked, "status")["phase"] = "Terminating";

    public override bool CanRemove(JsonObject deleting) =>
        base.CanRemove(deleting) && deleting["spec"]?["finalizers"] is not JsonArray { Count: > 0 };
}
