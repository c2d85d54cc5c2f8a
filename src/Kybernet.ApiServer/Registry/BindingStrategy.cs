using Kybernet.ApiServer.Registry.Subresources;
using Kybernet.ApiServer.Resources;

namespace Kybernet.ApiServer.Registry;

/// <summary>
/// core/v1 bindings: create only, and nothing is stored: a POSTed Binding binds the pod its
/// metadata.name names, exactly as a POST to pods/NAME/binding does (the older of upstream's two ways).
/// </summary>
public sealed class BindingStrategy(PodStrategy pods) : ResourceStrategy(ResourceDefinition.Core("Binding", "bindings", "binding") with { Verbs = ["create"] })
{
    public override ActionSubresource? CreateAction { get; } = new BindingSubresource(pods);
}
