using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Kybernet.ApiServer.Http;

/// <summary>Reading request bodies and writing JSON answers.</summary>
public static class JsonResponses
{
    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };

    public static async Task Write(HttpContext context, int status, JsonNode body, string contentType = "application/json")
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        await context.Response.WriteAsync(body.ToJsonString(), context.RequestAborted);
    }

    /// <summary>
    /// The request body as JSON. Duplicate fields are an error when <paramref name="strict"/> (what
    /// fieldValidation=Strict asks), as is anything that is not JSON (YAML is converted by kubectl).
    /// </summary>
    public static async Task<JsonNode> ReadBody(HttpContext context, bool strict)
    {
        // kubectl's generators send Kubernetes' protobuf; the kinds they make are decoded to JSON.
        if (context.Request.ContentType?.StartsWith(Protobuf.ProtobufBody.ContentType, StringComparison.Ordinal) == true)
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            return Protobuf.ProtobufBody.Decode(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        }
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(context.RequestAborted);
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
