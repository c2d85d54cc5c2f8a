using System.Text;
using k8s.Models;
using Kybernet.Kubelet.Pods.DownwardApi;

namespace Kybernet.Kubelet.Pods.Volumes;

/// <summary>
/// The files of the volumes whose content comes from API objects: configMap, secret, downwardAPI and projected,
/// with items (key -> path), defaultMode and per-item mode, and optional sources, as upstream's volume plugins
/// compute them. Failures are <see cref="VolumeSetUpException"/>s in upstream's words.
/// </summary>
public sealed class ProjectedPayloads(IPodObjectSource source)
{
    /// <summary>The files of <paramref name="volume"/>, or null when it is not a projected kind.</summary>
    public Dictionary<string, FileProjection>? For(V1Volume volume, V1Pod pod, PodRuntimeFacts facts)
    {
        string ns = pod.Metadata.NamespaceProperty ?? "default";
        try
        {
            if (volume.ConfigMap is { } cm)
                return ConfigMap(ns, cm.Name, cm.Items, cm.Optional == true, Mode(cm.DefaultMode)) ?? [];
            if (volume.Secret is { } secret)
                return Secret(ns, secret.SecretName, secret.Items, secret.Optional == true, Mode(secret.DefaultMode)) ?? [];
            if (volume.DownwardAPI is { } downward)
                return DownwardApi(downward.Items, pod, facts, Mode(downward.DefaultMode));
            if (volume.Projected is { } projected)
                return Projected(projected, ns, pod, facts);
        }
        catch (Exception e) when (e is ContainerConfigException or ArgumentException)
        {
            throw new VolumeSetUpException(volume.Name, e.Message, e);
        }
        return null;
    }

    private Dictionary<string, FileProjection>? ConfigMap(string ns, string name, IList<V1KeyToPath>? items, bool optional, int defaultMode)
    {
        var configMap = source.GetConfigMap(ns, name);
        if (configMap is null)
        {
            if (optional)
                return null;
            throw new ContainerConfigException($"configmap \"{name}\" not found");
        }
        var data = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (key, value) in configMap.Data ?? new Dictionary<string, string>())
            data[key] = Encoding.UTF8.GetBytes(value);
        foreach (var (key, value) in configMap.BinaryData ?? new Dictionary<string, byte[]>())
            data[key] = value;
        return Map(data, items, optional, defaultMode, "configmap references non-existent config key");
    }

    private Dictionary<string, FileProjection>? Secret(string ns, string name, IList<V1KeyToPath>? items, bool optional, int defaultMode)
    {
        var secret = source.GetSecret(ns, name);
        if (secret is null)
        {
            if (optional)
                return null;
            throw new ContainerConfigException($"secret \"{name}\" not found");
        }
        var data = new Dictionary<string, byte[]>(secret.Data ?? new Dictionary<string, byte[]>(), StringComparer.Ordinal);
        return Map(data, items, optional, defaultMode, "references non-existent secret key");
    }

    /// <summary>All keys as files, or only the listed items at their paths.</summary>
    private static Dictionary<string, FileProjection> Map(Dictionary<string, byte[]> data, IList<V1KeyToPath>? items, bool optional, int defaultMode, string missingKey)
    {
        var payload = new Dictionary<string, FileProjection>(StringComparer.Ordinal);
        if (items is null || items.Count == 0)
        {
            foreach (var (key, value) in data)
                payload[key] = new(value, defaultMode);
            return payload;
        }
        foreach (var item in items)
        {
            if (!data.TryGetValue(item.Key, out byte[]? value))
            {
                if (optional)
                    continue;
                throw new ContainerConfigException($"{missingKey}: {item.Key}");
            }
            payload[item.Path] = new(value, item.Mode ?? defaultMode);
        }
        return payload;
    }

    private static Dictionary<string, FileProjection> DownwardApi(IEnumerable<V1DownwardAPIVolumeFile>? items, V1Pod pod, PodRuntimeFacts facts, int defaultMode)
    {
        var payload = new Dictionary<string, FileProjection>(StringComparer.Ordinal);
        foreach (var item in items ?? [])
        {
            string value = item.FieldRef is { } field
                ? FieldPathValue.ForVolume(field, pod)
                : item.ResourceFieldRef is { } resource ? ResourceFieldValue.ForNamedContainer(resource, pod, facts) : "";
            payload[item.Path] = new(Encoding.UTF8.GetBytes(value), item.Mode ?? defaultMode);
        }
        return payload;
    }

    private Dictionary<string, FileProjection> Projected(V1ProjectedVolumeSource projected, string ns, V1Pod pod, PodRuntimeFacts facts)
    {
        int defaultMode = Mode(projected.DefaultMode);
        var payload = new Dictionary<string, FileProjection>(StringComparer.Ordinal);
        foreach (var projection in projected.Sources ?? [])
        {
            Dictionary<string, FileProjection>? part = null;
            if (projection.ConfigMap is { } cm)
                part = ConfigMap(ns, cm.Name, cm.Items, cm.Optional == true, defaultMode);
            else if (projection.Secret is { } secret)
                part = Secret(ns, secret.Name, secret.Items, secret.Optional == true, defaultMode);
            else if (projection.DownwardAPI is { } downward)
                part = DownwardApi(downward.Items, pod, facts, defaultMode);
            // serviceAccountToken and clusterTrustBundle need the API's TokenRequest: the volume manager logs and skips them.
            foreach (var (path, file) in part ?? [])
                payload[path] = file;
        }
        return payload;
    }

    private static int Mode(int? mode) => mode ?? FileProjection.DefaultMode;
}
