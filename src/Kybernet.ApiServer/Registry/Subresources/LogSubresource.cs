using System.Globalization;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Kubelets;
using Microsoft.Extensions.DependencyInjection;

namespace Kybernet.ApiServer.Registry.Subresources;

/// <summary>
/// pods/NAME/log (what `kubectl logs` reads): the options checked as upstream checks PodLogOptions, the container
/// chosen (the only one, or the one named: a pod of several must name one), then the node's kubelet's containerLogs
/// streamed back as text/plain (chunked, flushed as it comes while following). A pod not yet on a node has no log yet:
/// an empty answer, as upstream. What the kubelet refuses (a container still waiting, no previous one) comes back as
/// a 400 with its words.
/// </summary>
public sealed class LogSubresource : ConnectSubresource
{
    private static readonly string[] PassedOn = ["follow", "previous", "timestamps", "tailLines", "sinceSeconds", "sinceTime", "limitBytes"];

    public override string Name => "log";

    public override GroupVersionKind ResponseKind { get; } = new("", "v1", "Pod");

    public override IReadOnlyList<string> Verbs => ["get"];

    public override async Task ServeAsync(ConnectRequest request, CancellationToken cancellationToken)
    {
        var (ns, name) = (request.Namespace!, request.Name);
        Validate(request, name);
        var pod = await PodTarget.FindAsync(request, cancellationToken);
        var container = pod.ChooseContainer(request.Query("container"));
        var response = request.Http.Response;
        response.ContentType = "text/plain";
        if (pod.NodeName is null)
            return; // not scheduled: nothing has run, nothing to show
        var node = await pod.NodeAsync(request, cancellationToken);

        var query = string.Join('&', PassedOn.Where(o => request.Query(o) is { Length: > 0 })
            .Select(o => $"{o}={Uri.EscapeDataString(request.Query(o)!)}"));
        var path = $"/containerLogs/{Uri.EscapeDataString(ns)}/{Uri.EscapeDataString(name)}/{Uri.EscapeDataString(container)}" + (query.Length > 0 ? "?" + query : "");
        using var answer = await request.Services.GetRequiredService<KubeletClient>().GetAsync(node, path, cancellationToken);
        if (!answer.IsSuccessStatusCode)
            throw ApiException.BadRequest((await answer.Content.ReadAsStringAsync(cancellationToken)).Trim());
        await response.StartAsync(cancellationToken);
        await using var body = await answer.Content.ReadAsStreamAsync(cancellationToken);
        await body.CopyToAsync(response.Body, cancellationToken);
    }

    /// <summary>Upstream's PodLogOptions validation: numbers in range, at most one of sinceSeconds and sinceTime.</summary>
    private static void Validate(ConnectRequest request, string name)
    {
        var causes = new List<StatusCause>();
        void Number(string field, long min)
        {
            if (request.Query(field) is not { Length: > 0 } text)
                return;
            if (!long.TryParse(text, CultureInfo.InvariantCulture, out var n))
                causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: \"{text}\": must be an integer", field));
            else if (n < min)
                causes.Add(new StatusCause("FieldValueInvalid", $"Invalid value: {n}: must be greater than {(min == 0 ? "or equal to 0" : "0")}", field));
        }
        Number("tailLines", 0);
        Number("limitBytes", 1);
        Number("sinceSeconds", 1);
        if (request.Query("sinceSeconds") is { Length: > 0 } && request.Query("sinceTime") is { Length: > 0 })
            causes.Add(new StatusCause("FieldValueForbidden", "Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified", ""));
        if (causes.Count > 0)
            throw ApiException.Invalid("PodLogOptions", name, "", causes);
    }
}
