using Kybernet.ApiServer.Schemas;
using Microsoft.AspNetCore.Http;

namespace Kybernet.ApiServer.Http;

/// <summary>
/// The OpenAPI endpoints (documents: <see cref="OpenApiDocuments"/>). /openapi/v3 is what kubectl
/// reads: before create/apply/replace (a patch operation with fieldValidation: it leaves validation
/// to the server) and for explain (the schemas). /openapi/v2 answers the swagger 2.0 document as
/// JSON; asked for protobuf (kubectl's fallback paths), it answers a minimal valid document (swagger
/// "2.0", info only), which makes kubectl apply compute patches from its compiled-in types.
/// </summary>
public sealed class OpenApi(OpenApiDocuments documents)
{
    /// <summary>swagger "2.0", info {title "Kubernetes", version "v1.32.0"} in protobuf (gnostic's Document).</summary>
    private static readonly byte[] V2Protobuf = Convert.FromHexString("0a03322e3012150a0a4b756265726e65746573120776312e33322e30");

    public Task V2(HttpContext context)
    {
        if (context.Request.Headers.Accept.ToString().Contains("protobuf", StringComparison.OrdinalIgnoreCase))
        {
            context.Response.StatusCode = 200;
            // Not the protobuf media type: its "@" breaks Go's media type parser in kubectl.
            context.Response.ContentType = "application/octet-stream";
            return context.Response.Body.WriteAsync(V2Protobuf, context.RequestAborted).AsTask();
        }
        return Send(context, documents.V2);
    }

    public Task V3Index(HttpContext context) => Send(context, documents.V3Index);

    /// <summary>GET /openapi/v3/api/v1 or /openapi/v3/apis/GROUP/VERSION</summary>
    public Task V3Document(HttpContext context, string path) =>
        documents.V3(path) is { } document
            ? Send(context, document)
            : throw new ApiException(404, "NotFound", $"no OpenAPI document for {path}");

    /// <summary>The document, with its hash as ETag (a client holding it gets 304); a URL naming the current hash may be cached for good.</summary>
    private static Task Send(HttpContext context, OpenApiDocuments.Document document)
    {
        var etag = $"\"{document.Hash}\"";
        context.Response.Headers.ETag = etag;
        if (context.Request.Query["hash"].ToString() == document.Hash)
            context.Response.Headers.CacheControl = "public, immutable";
        if (context.Request.Headers.IfNoneMatch.ToString() == etag)
        {
            context.Response.StatusCode = 304;
            return Task.CompletedTask;
        }
        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        return context.Response.Body.WriteAsync(document.Json, context.RequestAborted).AsTask();
    }
}
