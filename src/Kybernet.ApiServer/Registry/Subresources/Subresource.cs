using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Registry.Subresources;

/// <summary>
/// A subresource, NAME/SUB under an object's URL, with a handler of its own (upstream: a REST
/// storage per subresource: StatusREST, ScaleREST, FinalizeREST, BindingREST, EvictionREST...). A
/// kind's strategy lists the ones it has; discovery lists them with their kind and verbs; any other
/// name is a 404, any other verb a 405. Two shapes: a <see cref="ViewSubresource"/> reads and writes a
/// view of the stored object (status, scale, finalize); an <see cref="ActionSubresource"/> acts on a
/// POSTed request (binding, eviction, token).
/// </summary>
public abstract class Subresource
{
    public abstract string Name { get; }

    /// <summary>The kind discovery names for it: what a view shows, or what an action is sent.</summary>
    public abstract GroupVersionKind ResponseKind { get; }

    /// <summary>The verbs it serves, as discovery names them.</summary>
    public abstract IReadOnlyList<string> Verbs { get; }

    /// <summary>Whether it serves a request of this verb; a proxy serves any method (HEAD and OPTIONS too).</summary>
    public virtual bool Serves(string verb) => Verbs.Contains(verb);
}

/// <summary>A subresource that is a view of the stored object: GET shows it, PUT and PATCH write through it.</summary>
public abstract class ViewSubresource : Subresource, IObjectView
{
    public override IReadOnlyList<string> Verbs => ["get", "patch", "update"];

    public abstract JsonObject Show(JsonObject stored);

    public abstract JsonObject ApplyTo(JsonObject current, JsonObject written);
}
