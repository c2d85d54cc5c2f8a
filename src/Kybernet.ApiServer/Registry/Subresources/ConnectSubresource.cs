using Microsoft.AspNetCore.Http;

namespace Kybernet.ApiServer.Registry.Subresources;

/// <summary>
/// A subresource that connects the client to something behind the object (upstream: a Connecter): pods/NAME/log
/// streams a container's log from the node's kubelet. It answers the HTTP request itself, as a stream, not as
/// an object.
/// </summary>
public abstract class ConnectSubresource : Subresource
{
    public abstract Task ServeAsync(ConnectRequest request, CancellationToken cancellationToken);
}

/// <summary>What a connection is asked: the object it is under and the HTTP request (its query and the server's services).</summary>
public sealed record ConnectRequest(string? Namespace, string Name, HttpContext Http)
{
    public IServiceProvider Services => Http.RequestServices;

    public string? Query(string name) => Http.Request.Query.TryGetValue(name, out var v) ? v.ToString() : null;
}
