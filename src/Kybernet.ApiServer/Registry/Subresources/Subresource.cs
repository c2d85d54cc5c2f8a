using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Registry.Subresources;

/// <summary>
/// A subresource, NAME/SUB under an object's URL, with a handler of its own (upstream: a REST
/// storage per subresource: StatusREST, ScaleREST, FinalizeREST...). A kind's strategy lists the
/// ones it has; discovery lists them with their kind and verbs; any other name is a 404, any other
/// verb a 405. It reads and writes a view of the stored object (<see cref="IObjectView"/>).
/// </summary>
public abstract class Subresource : IObjectView
{
    public abstract string Name { get; }

    public abstract GroupVersionKind ResponseKind { get; }

    /// <summary>The verbs it serves, as discovery names them.</summary>
    public virtual IReadOnlyList<string> Verbs => ["get", "patch", "update"];

    public abstract JsonObject Show(JsonObject stored);

    public abstract JsonObject ApplyTo(JsonObject current, JsonObject written);
}
