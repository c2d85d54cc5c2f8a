using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Security.Authentication;
using Kybernet.ApiServer.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Kybernet.ApiServer.Registry.Subresources;

/// <summary>
/// serviceaccounts/NAME/token (upstream's TokenREST): a POSTed TokenRequest is answered with a signed
/// token for the service account: for spec.audiences (default: the API server's own), for
/// spec.expirationSeconds (default an hour, at least ten minutes), and bound to the Pod or Secret of
/// spec.boundObjectRef when one is named, so it stops working when that object goes.
/// </summary>
public sealed class TokenSubresource(ResourceDefinition serviceAccounts) : ActionSubresource
{
    public const long DefaultExpirationSeconds = 3600;
    public const long MinExpirationSeconds = 600;
    /// <summary>2^32 seconds: upstream's cap.</summary>
    public const long MaxExpirationSeconds = 1L << 32;

    public override string Name => "token";

    public override GroupVersionKind ResponseKind { get; } = new("authentication.k8s.io", "v1", "TokenRequest");

    public override async Task<(int Status, JsonObject Body)> PostAsync(ActionRequest request, CancellationToken cancellationToken)
    {
        var objects = request.Services.GetRequiredService<ObjectStore>();
        var catalog = request.Services.GetRequiredService<ResourceCatalog>();
        var issuer = request.Services.GetRequiredService<TokenIssuer>();
        var ns = request.Namespace!;
        var account = await objects.GetAsync(serviceAccounts, ns, request.Name, cancellationToken)
            ?? throw ApiException.NotFound(serviceAccounts.QualifiedResource, request.Name, "", serviceAccounts.Resource);

        var body = request.Body;
        var spec = body["spec"] as JsonObject ?? [];
        var expiration = ObjectMeta.Integer(spec["expirationSeconds"]) ?? DefaultExpirationSeconds;
        var causes = new List<StatusCause>();
        if (expiration < MinExpirationSeconds)
            causes.Add(Causes.Invalid("spec.expirationSeconds", expiration.ToString(), "may not specify a duration less than 10 minutes"));
        if (expiration > MaxExpirationSeconds)
            causes.Add(Causes.Invalid("spec.expirationSeconds", expiration.ToString(), "may not specify a duration larger than 2^32 seconds"));
        var audiences = spec["audiences"] is JsonArray a ? a.Select(ObjectMeta.Str).OfType<string>().ToList() : [];
        if (audiences.Count == 0)
            audiences = [.. TokenIssuer.ApiAudiences];
        var boundRef = spec["boundObjectRef"] as JsonObject;
        var boundKind = ObjectMeta.Str(boundRef?["kind"]);
        if (boundRef is not null && boundKind is not ("Pod" or "Secret"))
            causes.Add(Causes.NotSupported("spec.boundObjectRef.kind", boundKind ?? "", ["Pod", "Secret"]));
        if (causes.Count > 0)
            throw ApiException.Invalid("TokenRequest", request.Name, "authentication.k8s.io", causes);

        BoundObject? bound = null;
        BoundNode? node = null;
        if (boundRef is not null)
        {
            var resource = catalog.Find("", "v1", boundKind == "Pod" ? "pods" : "secrets")!;
            var boundName = ObjectMeta.Str(boundRef["name"]) ?? "";
            var target = await objects.GetAsync(resource, ns, boundName, cancellationToken)
                ?? throw ApiException.NotFound(resource.QualifiedResource, boundName, "", resource.Resource);
            var uid = ObjectMeta.Uid(target)!;
            if (ObjectMeta.Str(boundRef["uid"]) is { Length: > 0 } wanted && wanted != uid)
                throw new ApiException(409, "Conflict", $"the UID in the bound object reference ({wanted}) does not match the UID in record. The object might have been deleted and then recreated");
            // Upstream's rule: a token is bound only to a pod that runs as this service account.
            if (boundKind == "Pod" && (ObjectMeta.Str(target["spec"]?["serviceAccountName"]) is { Length: > 0 } runsAs ? runsAs : "default") is var podAccount && podAccount != request.Name)
                throw ApiException.BadRequest($"cannot bind token for serviceaccount \"{request.Name}\" to pod running with different serviceaccount name.");
            bound = new BoundObject(boundKind!, boundName, uid);
            if (boundKind == "Pod" && ObjectMeta.Str(target["spec"]?["nodeName"]) is { Length: > 0 } nodeName
                && await objects.GetAsync(catalog.Find("", "v1", "nodes")!, null, nodeName, cancellationToken) is { } nodeObject)
                node = new BoundNode(nodeName, ObjectMeta.Uid(nodeObject)!);
        }

        var issued = issuer.IssueServiceAccountToken(ns, request.Name, ObjectMeta.Uid(account)!, audiences, TimeSpan.FromSeconds(expiration), bound, node);
        spec["audiences"] = new JsonArray(audiences.Select(x => (JsonNode?)x).ToArray());
        spec["expirationSeconds"] = expiration;
        var answer = new JsonObject
        {
            ["kind"] = ResponseKind.Kind,
            ["apiVersion"] = ResponseKind.ApiVersion,
            ["metadata"] = new JsonObject { ["name"] = request.Name, ["namespace"] = ns, ["creationTimestamp"] = ObjectMeta.Now() },
            ["spec"] = spec.DeepClone(),
            ["status"] = new JsonObject
            {
                ["token"] = request.DryRun ? "" : issued.Token,
                ["expirationTimestamp"] = issued.ExpiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"),
            },
        };
        return (201, answer);
    }
}
