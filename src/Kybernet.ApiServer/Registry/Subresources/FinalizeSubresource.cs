using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Registry.Subresources;

/// <summary>
/// namespaces/NAME/finalize: a PUT of the Namespace that changes only its spec.finalizers, which the
/// main resource keeps. The namespace controller removes its "kubernetes" finalizer this way once the
/// namespace is empty; a terminating namespace with no finalizers left then goes (upstream's FinalizeREST).
/// </summary>
public sealed class FinalizeSubresource(ResourceStrategy owner) : ViewSubresource
{
    public override string Name => "finalize";

    public override GroupVersionKind ResponseKind { get; } = new(owner.Resource.Group, owner.Resource.Version, owner.Resource.Kind);

    public override IReadOnlyList<string> Verbs => ["update"];

    public override JsonObject Show(JsonObject stored) => stored;

    public override JsonObject ApplyTo(JsonObject current, JsonObject written)
    {
        var next = (JsonObject)current.DeepClone();
        var finalizers = written["spec"]?["finalizers"]?.DeepClone();
        if (finalizers is not null)
            Admission.Defaults.Object(next, "spec")["finalizers"] = finalizers;
        else
            (next["spec"] as JsonObject)?.Remove("finalizers");
        return next;
    }
}
