using System.Text.Json.Nodes;
using Kybernet.ApiServer.Http;

namespace Kybernet.ApiServer.Protobuf;

/// <summary>
/// Protobuf at the HTTP edge: request bodies (kubectl's generators, drain's Eviction, client-go's
/// typed clients) decoded to the JSON objects the rest of the server works with, and answers
/// encoded for clients that prefer protobuf. A kind the schema does not describe is a 415 on the
/// way in (the client can send JSON) and JSON on the way out.
/// </summary>
public static class ProtobufBody
{
    public const string ContentType = KubernetesProtobuf.MediaType;

    public static JsonObject Decode(ReadOnlySpan<byte> body)
    {
        try
        {
            return KubernetesProtobuf.Decode(body);
        }
        catch (UnknownKindException e)
        {
            throw new ApiException(415, "UnsupportedMediaType", e.Message);
        }
        catch (FormatException e)
        {
            throw ApiException.BadRequest($"cannot decode the protobuf body: {e.Message}");
        }
    }

    /// <summary>The object in protobuf, or null when its kind has no schema or it does not fit it (then it goes as JSON).</summary>
    public static ProtoWriter? TryEncode(JsonNode body)
    {
        if (body is not JsonObject obj || KubernetesProtobuf.SchemaFor(obj) is null)
            return null;
        var writer = new ProtoWriter();
        try
        {
            KubernetesProtobuf.Encode(writer, obj);
            return writer;
        }
        catch (FormatException)
        {
            // A stored value of an unexpected shape: the answer is still given, in JSON.
            writer.Dispose();
            return null;
        }
    }
}
