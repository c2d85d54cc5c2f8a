using System.Text.Json.Nodes;
using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>ResourceQuotas: stored with a status that is the quota controller's (hard and used), written through /status.</summary>
public sealed class ResourceQuotaStrategy : ResourceStrategy
{
    public ResourceQuotaStrategy() : base(ResourceDefinition.Core("ResourceQuota", "resourcequotas", "resourcequota", shortNames: ["quota"])) =>
        Subresources = [new StatusSubresource(this)];

    public override IReadOnlyList<Subresource> Subresources { get; }

    public override void PrepareForCreate(JsonObject obj) => obj.Remove("status");

    public override void PrepareForUpdate(JsonObject next, JsonObject current) => KeepStatus(next, current);
}
