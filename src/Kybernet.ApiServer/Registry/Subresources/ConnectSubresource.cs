using System.Text.Json.Nodes;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

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

    /// <summary>A stored core/v1 object (pods, services, endpoints, nodes), or null.</summary>
    public Task<JsonObject?> GetAsync(string resource, string? ns, string name, CancellationToken cancellationToken) =>
        Services.GetRequiredService<ObjectStore>().GetAsync(Core(resource), ns, name, cancellationToken);

    /// <summary>A stored core/v1 object, or upstream's 404 for it.</summary>
    public async Task<JsonObject> RequireAsync(string resource, string? ns, string name, CancellationToken cancellationToken)
    {
        var definition = Core(resource);
        return await Services.GetRequiredService<ObjectStore>().GetAsync(definition, ns, name, cancellationToken)
            ?? throw ApiException.NotFound(definition.QualifiedResource, name, "", definition.Resource);
    }

    private ResourceDefinition Core(string resource) => Services.GetRequiredService<ResourceCatalog>().Find("", "v1", resource)!;
}
