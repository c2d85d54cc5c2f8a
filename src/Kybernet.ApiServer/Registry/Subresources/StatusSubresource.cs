using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Registry.Subresources;

/// <summary>
/// NAME/status: the object as it is; a write changes its status and nothing else (or what else the
/// kind's strategy allows there). The main resource, in turn, keeps the status.
/// </summary>
public sealed class StatusSubresource(ResourceStrategy owner) : ViewSubresource
{
    public override string Name => "status";

    public override GroupVersionKind ResponseKind { get; } = new(owner.Resource.Group, owner.Resource.Version, owner.Resource.Kind);

    public override JsonObject Show(JsonObject stored) => stored;

    public override JsonObject ApplyTo(JsonObject current, JsonObject written) => owner.PrepareForStatusUpdate(written, current);
}
