using k8s;
using k8s.Models;

namespace Kybernet.Client;

/// <summary>
/// Get, delete, patch and delete-collection for any resource, by its <see cref="ApiResource"/> (client-go's dynamic
/// client): what controllers that handle every kind need. Namespaced resources take the namespace; cluster-scoped ones
/// ignore it.
/// </summary>
public static class ResourceOperations
{
    /// <summary>The object's metadata, or null if it does not exist.</summary>
    public static async Task<ObjectMetadata?> GetMetadataAsync(this IKubernetes client, ApiResource r, string? ns, string name, CancellationToken ct = default)
    {
        try
        {
            using var response = r.Namespaced
                ? await client.CustomObjects.GetNamespacedCustomObjectWithHttpMessagesAsync<ObjectMetadata>(r.Group, r.Version, ns, r.Plural, name, cancellationToken: ct)
                : await client.CustomObjects.GetClusterCustomObjectWithHttpMessagesAsync<ObjectMetadata>(r.Group, r.Version, r.Plural, name, cancellationToken: ct);
            return response.Body;
        }
        catch (Exception e) when (KubeClient.IsNotFound(e))
        {
            return null;
        }
    }

    public static async Task DeleteAsync(this IKubernetes client, ApiResource r, string? ns, string name, V1DeleteOptions options, CancellationToken ct = default)
    {
        using var response = r.Namespaced
            ? await client.CustomObjects.DeleteNamespacedCustomObjectWithHttpMessagesAsync(r.Group, r.Version, ns, r.Plural, name, options, cancellationToken: ct)
            : await client.CustomObjects.DeleteClusterCustomObjectWithHttpMessagesAsync(r.Group, r.Version, r.Plural, name, options, cancellationToken: ct);
    }

    public static async Task PatchAsync(this IKubernetes client, ApiResource r, string? ns, string name, V1Patch patch, CancellationToken ct = default)
    {
        using var response = r.Namespaced
            ? await client.CustomObjects.PatchNamespacedCustomObjectWithHttpMessagesAsync(patch, r.Group, r.Version, ns, r.Plural, name, cancellationToken: ct)
            : await client.CustomObjects.PatchClusterCustomObjectWithHttpMessagesAsync(patch, r.Group, r.Version, r.Plural, name, cancellationToken: ct);
    }

    /// <summary>Deletes every object of a namespaced resource in <paramref name="ns"/> (each as a DELETE would).</summary>
    public static async Task DeleteCollectionAsync(this IKubernetes client, ApiResource r, string ns, V1DeleteOptions? options = null, CancellationToken ct = default)
    {
        using var response = await client.CustomObjects.DeleteCollectionNamespacedCustomObjectWithHttpMessagesAsync(r.Group, r.Version, ns, r.Plural, options, cancellationToken: ct);
    }

    /// <summary>The metadata of every object of a namespaced resource in <paramref name="ns"/>.</summary>
    public static async Task<IList<ObjectMetadata>> ListMetadataAsync(this IKubernetes client, ApiResource r, string ns, CancellationToken ct = default)
    {
        using var response = await client.CustomObjects.ListNamespacedCustomObjectWithHttpMessagesAsync<KubernetesList<ObjectMetadata>>(r.Group, r.Version, ns, r.Plural, cancellationToken: ct);
        return response.Body.Items ?? [];
    }
}
