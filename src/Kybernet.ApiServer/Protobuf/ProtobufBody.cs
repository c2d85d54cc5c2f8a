using System.Text.Json.Nodes;
using Kybernet.ApiServer.Http;

namespace Kybernet.ApiServer.Protobuf;

/// <summary>
/// Request bodies in Kubernetes' protobuf encoding ("k8s\0" + runtime.Unknown{typeMeta, raw}), which
/// kubectl's generators send (`kubectl create namespace|configmap|secret`), turned into the JSON
/// objects the rest of the server works with. Only the kinds those generators make are known; any
/// other kind is a 415, so the client can be told to send JSON (`create -f`).
/// Field numbers are upstream's (k8s.io/api generated.proto); the code is ours.
/// </summary>
public static class ProtobufBody
{
    public const string ContentType = "application/vnd.kubernetes.protobuf";
    private static readonly byte[] Magic = "k8s\0"u8.ToArray();

    public static JsonObject Decode(ReadOnlySpan<byte> body)
    {
        if (!body.StartsWith(Magic))
            throw ApiException.BadRequest("protobuf body does not start with the k8s magic number");
        string apiVersion = "", kind = "";
        ReadOnlySpan<byte> raw = default;
        try
        {
            var envelope = new ProtoReader(body[Magic.Length..]);
            while (envelope.TryRead(out var f))
            {
                if (f.Number == 1)
                {
                    var typeMeta = new ProtoReader(f.Bytes);
                    while (typeMeta.TryRead(out var t))
                    {
                        if (t.Number == 1) apiVersion = t.String;
                        else if (t.Number == 2) kind = t.String;
                    }
                }
                else if (f.Number == 2)
                    raw = f.Bytes;
            }
            var obj = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind };
            switch ((apiVersion, kind))
            {
                case ("v1", "Namespace"): Namespace(raw, obj); break;
                case ("v1", "ConfigMap"): ConfigMap(raw, obj); break;
                case ("v1", "Secret"): Secret(raw, obj); break;
                default:
                    throw new ApiException(415, "UnsupportedMediaType",
                        $"protobuf is understood for Namespace, ConfigMap and Secret only, not {apiVersion} {kind}: send JSON (kubectl create -f, apply -f)");
            }
            return obj;
        }
        catch (FormatException e)
        {
            throw ApiException.BadRequest($"cannot decode the protobuf body: {e.Message}");
        }
    }

    private static void Namespace(ReadOnlySpan<byte> raw, JsonObject obj)
    {
        var r = new ProtoReader(raw);
        while (r.TryRead(out var f))
        {
            if (f.Number == 1) obj["metadata"] = ObjectMeta(f.Bytes);
            else if (f.Number == 2)
            {
                var finalizers = new JsonArray();
                var spec = new ProtoReader(f.Bytes);
                while (spec.TryRead(out var s))
                    if (s.Number == 1) finalizers.Add(s.String);
                obj["spec"] = new JsonObject { ["finalizers"] = finalizers };
            }
        }
    }

    private static void ConfigMap(ReadOnlySpan<byte> raw, JsonObject obj)
    {
        var r = new ProtoReader(raw);
        while (r.TryRead(out var f))
        {
            switch (f.Number)
            {
                case 1: obj["metadata"] = ObjectMeta(f.Bytes); break;
                case 2: AddEntry(Child(obj, "data"), f.Bytes, base64: false); break;
                case 3: AddEntry(Child(obj, "binaryData"), f.Bytes, base64: true); break;
                case 4: obj["immutable"] = f.Varint != 0; break;
            }
        }
    }

    private static void Secret(ReadOnlySpan<byte> raw, JsonObject obj)
    {
        var r = new ProtoReader(raw);
        while (r.TryRead(out var f))
        {
            switch (f.Number)
            {
                case 1: obj["metadata"] = ObjectMeta(f.Bytes); break;
                case 2: AddEntry(Child(obj, "data"), f.Bytes, base64: true); break;
                case 3 when f.Bytes.Length > 0: obj["type"] = f.String; break; // "" is unset, as in JSON
                case 4: AddEntry(Child(obj, "stringData"), f.Bytes, base64: false); break;
                case 5: obj["immutable"] = f.Varint != 0; break;
            }
        }
    }

    /// <summary>The ObjectMeta fields a client sets on create: names, labels, annotations, finalizers.</summary>
    private static JsonObject ObjectMeta(ReadOnlySpan<byte> raw)
    {
        var meta = new JsonObject();
        var r = new ProtoReader(raw);
        while (r.TryRead(out var f))
        {
            switch (f.Number)
            {
                case 1: meta["name"] = f.String; break;
                case 2: meta["generateName"] = f.String; break;
                case 3: meta["namespace"] = f.String; break;
                case 6: meta["resourceVersion"] = f.String; break;
                case 11: AddEntry(Child(meta, "labels"), f.Bytes, base64: false); break;
                case 12: AddEntry(Child(meta, "annotations"), f.Bytes, base64: false); break;
                case 14: (meta["finalizers"] as JsonArray ?? (JsonArray)(meta["finalizers"] = new JsonArray())).Add(f.String); break;
            }
        }
        foreach (var empty in meta.Where(p => p.Value is JsonValue v && v.TryGetValue(out string? s) && s.Length == 0).Select(p => p.Key).ToList())
            meta.Remove(empty);
        return meta;
    }

    /// <summary>A map entry (message {key = 1; value = 2}); bytes values are written base64, as JSON carries them.</summary>
    private static void AddEntry(JsonObject map, ReadOnlySpan<byte> entry, bool base64)
    {
        string key = "", value = "";
        var r = new ProtoReader(entry);
        while (r.TryRead(out var f))
        {
            if (f.Number == 1) key = f.String;
            else if (f.Number == 2) value = base64 ? Convert.ToBase64String(f.Bytes) : f.String;
        }
        map[key] = value;
    }

    private static JsonObject Child(JsonObject parent, string field) =>
        parent[field] as JsonObject ?? (JsonObject)(parent[field] = new JsonObject());
}
