using k8s;
using k8s.Models;

namespace Kybernet.Client;

/// <summary>
/// Any object seen only by its kind, apiVersion and metadata (upstream's PartialObjectMetadata): what the garbage
/// collector and the namespace controller need of every resource, whatever its schema. The rest of the JSON is ignored
/// when read.
/// </summary>
public sealed class ObjectMetadata : IKubernetesObject<V1ObjectMeta>
{
    [System.Text.Json.Serialization.JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = "";

    [System.Text.Json.Serialization.JsonPropertyName("kind")]
    public string Kind { get; set; } = "";

    [System.Text.Json.Serialization.JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();
}
