using System.Text.Json.Nodes;
using Kybernet.ApiServer.Admission;
using Kybernet.ApiServer.Http;

namespace Kybernet.ApiServer.Registry.Subresources;

/// <summary>
/// The pod a connect subresource (log, exec, attach, portforward) is about, the node it runs on, and the container
/// asked for: the one named, or the pod's only one (upstream's messages when there is no such container or a choice
/// to make).
/// </summary>
public sealed record PodTarget(JsonObject Pod, string? NodeName)
{
    public string Name => ObjectMeta.Name(Pod) ?? "";

    public string Phase => ObjectMeta.Str(Pod["status"]?["phase"]) ?? "";

    public static async Task<PodTarget> FindAsync(ConnectRequest request, CancellationToken cancellationToken)
    {
        var pod = await request.RequireAsync("pods", request.Namespace, request.Name, cancellationToken);
        return new PodTarget(pod, ObjectMeta.Str(pod["spec"]?["nodeName"]) is { Length: > 0 } node ? node : null);
    }

    /// <summary>The stored Node the pod is on, or a 503 when it is gone (its kubelet cannot be reached).</summary>
    public async Task<JsonObject> NodeAsync(ConnectRequest request, CancellationToken cancellationToken)
    {
        if (NodeName is null)
            throw ApiException.BadRequest($"pod {Name} does not have a host assigned");
        return await request.GetAsync("nodes", null, NodeName, cancellationToken)
            ?? throw new ApiException(503, "ServiceUnavailable", $"node \"{NodeName}\" of pod \"{Name}\" does not exist: its kubelet cannot be reached");
    }

    public string ChooseContainer(string? asked)
    {
        static List<string> Names(JsonNode? list) => (list as JsonArray ?? []).Select(c => ObjectMeta.Str(c?["name"])).OfType<string>().ToList();
        var containers = Names(Pod["spec"]?["containers"]);
        var init = Names(Pod["spec"]?["initContainers"]);
        var ephemeral = Names(Pod["spec"]?["ephemeralContainers"]);
        if (asked is { Length: > 0 })
            return containers.Contains(asked) || init.Contains(asked) || ephemeral.Contains(asked)
                ? asked
                : throw ApiException.BadRequest($"container {asked} is not valid for pod {Name}");
        if (containers.Count == 1)
            return containers[0];
        var message = $"a container name must be specified for pod {Name}, choose one of: [{string.Join(' ', containers)}]";
        if (init.Count > 0)
            message += $" or one of the init containers: [{string.Join(' ', init)}]";
        throw ApiException.BadRequest(message);
    }
}
