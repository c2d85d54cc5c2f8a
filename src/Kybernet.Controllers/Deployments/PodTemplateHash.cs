using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;

namespace Kybernet.Controllers.Deployments;

/// <summary>
/// The pod-template-hash label that tells a Deployment's ReplicaSets (and their pods) apart: FNV-32a over the pod
/// template and, once names have collided, status.collisionCount; the decimal digits of the sum rendered with the
/// "safe" alphabet as upstream does (so hashes look like upstream's: "7c5ddbdf54"). Upstream hashes Go's printed form
/// of the template struct, which cannot be reproduced here: we hash its canonical JSON (keys sorted, empty values
/// dropped), so the values differ from upstream's for the same template, while keeping every property that matters
/// (stable across restarts and API round trips, different for different templates).
/// </summary>
public static class PodTemplateHash
{
    /// <summary>The label key on the ReplicaSet's selector and template, and on its pods.</summary>
    public const string Label = "pod-template-hash";

    // k8s.io/apimachinery's rand.SafeEncodeString alphabet: no vowels, no look-alike digits.
    private const string SafeAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    public static string Compute(V1PodTemplateSpec template, int? collisionCount)
    {
        const uint offsetBasis = 2166136261;
        const uint prime = 16777619;
        var hash = offsetBasis;
        void Feed(ReadOnlySpan<byte> bytes)
        {
            foreach (var b in bytes)
                hash = (hash ^ b) * prime;
        }
        Feed(Encoding.UTF8.GetBytes(Canonical(template).ToJsonString()));
        if (collisionCount is { } count)
        {
            Span<byte> le = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(le, unchecked((uint)count));
            Feed(le);
        }
        var digits = hash.ToString(CultureInfo.InvariantCulture);
        var encoded = new char[digits.Length];
        for (var i = 0; i < digits.Length; i++)
            encoded[i] = SafeAlphabet[digits[i] % SafeAlphabet.Length];
        return new string(encoded);
    }

    /// <summary>
    /// Whether two templates are the same but for the pod-template-hash label (upstream's EqualIgnoreHash): how a
    /// Deployment finds its new ReplicaSet. Absent and empty maps or lists count as equal, as in upstream's semantic equality.
    /// </summary>
    public static bool EqualIgnoringHash(V1PodTemplateSpec? a, V1PodTemplateSpec? b) =>
        JsonNode.DeepEquals(Canonical(a), Canonical(b));

    /// <summary>The template as sorted JSON without the hash label, nulls, or empty objects and arrays.</summary>
    internal static JsonNode Canonical(V1PodTemplateSpec? template)
    {
        var node = template is null ? new JsonObject() : JsonNode.Parse(KubernetesJson.Serialize(template)) ?? new JsonObject();
        if (node["metadata"]?["labels"] is JsonObject labels)
            labels.Remove(Label);
        return Normalize(node) ?? new JsonObject();
    }

    private static JsonNode? Normalize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var sorted = new JsonObject();
                foreach (var (key, value) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                    if (Normalize(value) is { } kept)
                        sorted[key] = kept;
                return sorted.Count == 0 ? null : sorted;
            case JsonArray array:
                var items = new JsonArray();
                foreach (var item in array)
                    items.Add(Normalize(item) ?? new JsonObject());
                return items.Count == 0 ? null : items;
            case null:
                return null;
            default:
                return node.DeepClone();
        }
    }
}
