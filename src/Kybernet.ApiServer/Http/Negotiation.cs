using Kybernet.Api.Selectors;
using Kybernet.ApiServer.Resources;
using Microsoft.AspNetCore.Http;

namespace Kybernet.ApiServer.Http;

/// <summary>What a request asks for in its query string and Accept header.</summary>
public static class Negotiation
{
    public const string TableContentType = "application/json;as=Table;v=v1;g=meta.k8s.io";

    /// <summary>kubectl get asks for a Table first (Accept: application/json;as=Table;v=v1;g=meta.k8s.io, ...).</summary>
    public static bool WantsTable(HttpContext context) =>
        context.Request.Headers.Accept.ToString().Split(',').FirstOrDefault()?.Replace(" ", "").Contains("as=Table", StringComparison.Ordinal) == true;

    /// <summary>
    /// Whether the client prefers Kubernetes' protobuf: its Accept names it first (client-go's typed
    /// clients send "application/vnd.kubernetes.protobuf, */*"). JSON stays the default.
    /// </summary>
    public static bool WantsProtobuf(HttpContext context)
    {
        var accept = context.Request.Headers.Accept.ToString().AsSpan().TrimStart();
        if (!accept.StartsWith(Protobuf.KubernetesProtobuf.MediaType, StringComparison.OrdinalIgnoreCase))
            return false;
        var rest = accept[Protobuf.KubernetesProtobuf.MediaType.Length..];
        int end = rest.IndexOf(',');
        var parameters = end < 0 ? rest : rest[..end];
        return (parameters.IsEmpty || parameters[0] is ';' or ' ') && !parameters.Contains("as=", StringComparison.Ordinal);
    }

    public static bool IsDryRun(HttpContext context) => context.Request.Query["dryRun"].Any(v => v == "All");

    /// <summary>fieldValidation=Strict: unknown and duplicate fields are errors.</summary>
    public static bool IsStrict(HttpContext context) => context.Request.Query["fieldValidation"].ToString() == "Strict";

    public static LabelSelector? LabelSelector(HttpContext context)
    {
        var text = context.Request.Query["labelSelector"].ToString();
        if (string.IsNullOrWhiteSpace(text))
            return null;
        try { return Api.Selectors.LabelSelector.Parse(text); }
        catch (SelectorException e) { throw ApiException.BadRequest($"unable to parse requirement: {e.Message}"); }
    }

    public static FieldSelector? FieldSelector(HttpContext context, ResourceDefinition r)
    {
        var text = context.Request.Query["fieldSelector"].ToString();
        if (string.IsNullOrWhiteSpace(text))
            return null;
        try
        {
            var selector = Api.Selectors.FieldSelector.Parse(text);
            selector.EnsureSupported(r.Kind);
            return selector;
        }
        catch (SelectorException e) { throw ApiException.BadRequest(e.Message); }
    }

    public static long ResourceVersion(HttpContext context)
    {
        var text = context.Request.Query["resourceVersion"].ToString();
        if (text.Length == 0)
            return 0;
        return long.TryParse(text, out var rv) && rv >= 0
            ? rv
            : throw ApiException.BadRequest($"invalid resourceVersion \"{text}\"");
    }
}
