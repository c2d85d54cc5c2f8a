using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>ServiceAccounts, with their token subresource (TokenRequest).</summary>
public sealed class ServiceAccountStrategy : ResourceStrategy
{
    public ServiceAccountStrategy() : base(ResourceDefinition.Core("ServiceAccount", "serviceaccounts", "serviceaccount", shortNames: ["sa"])) =>
        Subresources = [new TokenSubresource(Resource)];

    public override IReadOnlyList<Subresource> Subresources { get; }
}
