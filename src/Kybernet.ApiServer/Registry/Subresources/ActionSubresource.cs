using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Kybernet.ApiServer.Registry.Subresources;

/// <summary>
/// A subresource that acts when a request object is POSTed to it (upstream: a Creater on a
/// subresource): pods/NAME/binding takes a Binding and assigns the pod to a node, pods/NAME/eviction
/// takes an Eviction and deletes the pod if its disruption budgets allow, serviceaccounts/NAME/token
/// takes a TokenRequest and answers it with a token. The body arrives decoded and checked as
/// <see cref="Subresource.ResponseKind"/> (unknown fields refused under fieldValidation=Strict).
/// </summary>
public abstract class ActionSubresource : Subresource
{
    public override IReadOnlyList<string> Verbs => ["create"];

    /// <summary>Acts on <paramref name="request"/>; returns the HTTP status and the body to answer (an object, or a Status).</summary>
    public abstract Task<(int Status, JsonObject Body)> PostAsync(ActionRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// What an action is asked: the object it is under (namespace, name), the body sent, whether it is a
/// dry run, and the HTTP request (its authenticated user, and the server's services for what the action
/// needs: the registry, the store).
/// </summary>
public sealed record ActionRequest(string? Namespace, string Name, JsonObject Body, bool DryRun, HttpContext Http)
{
    public IServiceProvider Services => Http.RequestServices;
}
