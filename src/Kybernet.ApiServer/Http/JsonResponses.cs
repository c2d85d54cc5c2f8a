using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Kybernet.ApiServer.Http;

/// <summary>Reading request bodies and writing JSON answers.</summary>
public static class JsonResponses
{
    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    public static async Task Write(HttpContext context, int status, JsonNode body, string contentType = "application/json")
    {
        // Objects, lists and Status errors go in protobuf to a client that prefers it; Tables and
        // discovery (other content types) and kinds without a protobuf schema stay JSON.
        if (contentType == "application/json" && Negotiation.WantsProtobuf(context) && Protobuf.ProtobufBody.TryEncode(body) is { } proto)
        {
            using (proto)
            {
                context.Response.StatusCode = status;
                context.Response.ContentType = Protobuf.ProtobufBody.ContentType;
                await context.Response.Body.WriteAsync(proto.WrittenMemory, context.RequestAborted);
            }
            return;
        }
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    /// <summary>
    /// The request body as JSON (at most <see cref="RequestBody.MaxBytes"/>). Duplicate fields are an error when <paramref name="strict"/> (what
    /// fieldValidation=Strict asks), as is anything that is not JSON (YAML is converted by kubectl).
    /// </summary>
    public static async Task<JsonNode> ReadBody(HttpContext context, bool strict)
    {
        var body = await RequestBody.ReadAsync(context);
        // kubectl's generators send Kubernetes' protobuf; the kinds they make are decoded to JSON.
        if (context.Request.ContentType?.StartsWith(Protobuf.ProtobufBody.ContentType, StringComparison.Ordinal) == true)
            return Protobuf.ProtobufBody.Decode(body.Span);
        var text = Encoding.UTF8.GetString(body.Span.StartsWith(Utf8Bom) ? body.Span[Utf8Bom.Length..] : body.Span);
        if (string.IsNullOrWhiteSpace(text))
            throw ApiException.BadRequest("the request body is empty");
        try
        {
            return JsonNode.Parse(text, NodeOptions, new JsonDocumentOptions { AllowDuplicateProperties = !strict })
                ?? throw ApiException.BadRequest("the request body is null");
        }
        catch (JsonException e)
        {
            var duplicate = e.Message.Contains("duplicate", StringComparison.OrdinalIgnoreCase);
            throw ApiException.BadRequest(duplicate
                ? $"strict decoding error: {e.Message}"
                : $"the request body is not valid JSON: {e.Message}");
        }
    }
}
