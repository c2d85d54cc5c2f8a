using k8s.Models;
using Kybernet.Kubelet.Pods.DownwardApi;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Pods.Env;

/// <summary>A container's environment, and the warnings (InvalidEnvironmentVariableNames events) met while making it.</summary>
public sealed record ContainerEnvironmentResult(IReadOnlyList<ContainerEnvVar> Variables, IReadOnlyList<string> Warnings)
{
    /// <summary>The variables as a map (the last of a name wins, as in the container).</summary>
    public IReadOnlyDictionary<string, string> ToMap()
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in Variables)
            map[variable.Name] = variable.Value;
        return map;
    }
}

/// <summary>
/// Builds one container's environment as upstream's kubelet does (makeEnvironmentVariables): envFrom first
/// (ConfigMaps and Secrets, with prefix; keys that are no valid names are skipped with a warning), then env in
/// order (values with $(VAR) expanded against what came before and the service variables; valueFrom fieldRef,
/// resourceFieldRef, configMapKeyRef, secretKeyRef), then the service variables the pod's own do not override.
/// A missing non-optional source is a <see cref="ContainerConfigException"/> in upstream's words.
/// </summary>
public sealed class ContainerEnvironment(IPodObjectSource source, ILogger logger)
{
    public ContainerEnvironmentResult Build(V1Pod pod, V1Container container, PodRuntimeFacts facts)
    {
        string ns = pod.Metadata.NamespaceProperty ?? "default";
        var serviceEnv = ServiceEnvironment.ForPod(source, ns, pod.Spec.EnableServiceLinks ?? true);
        var own = new Dictionary<string, string>(StringComparer.Ordinal);
        var order = new List<string>();
        var warnings = new List<string>();
        var configMaps = new Dictionary<string, V1ConfigMap>(StringComparer.Ordinal);
        var secrets = new Dictionary<string, V1Secret>(StringComparer.Ordinal);

        void Set(string name, string value)
        {
            if (!own.ContainsKey(name))
                order.Add(name);
            own[name] = value;
        }

        foreach (var from in container.EnvFrom ?? [])
        {
            if (from.ConfigMapRef is { } cmRef)
            {
                var configMap = ConfigMap(ns, cmRef.Name, cmRef.Optional == true, configMaps);
                if (configMap is null)
                    continue;
                AddAll(configMap.Data?.Select(p => (p.Key, p.Value)), from.Prefix, "configMap", ns, cmRef.Name, Set, warnings);
            }
            else if (from.SecretRef is { } secretRef)
            {
                var secret = Secret(ns, secretRef.Name, secretRef.Optional == true, secrets);
                if (secret is null)
                    continue;
                AddAll(secret.Data?.Select(p => (p.Key, Text(p.Value))), from.Prefix, "secret", ns, secretRef.Name, Set, warnings);
            }
        }

        var lookup = VariableExpansion.Over(own, serviceEnv);
        foreach (var env in container.Env ?? [])
        {
            string value = env.Value ?? "";
            if (value.Length > 0)
            {
                value = VariableExpansion.Expand(value, lookup);
            }
            else if (env.ValueFrom is { } from)
            {
                if (from.FieldRef is { } fieldRef)
                {
                    value = FieldPathValue.ForEnv(fieldRef, pod, facts);
                }
                else if (from.ResourceFieldRef is { } resourceRef)
                {
                    value = ResourceFieldValue.For(resourceRef, container, facts);
                }
                else if (from.ConfigMapKeyRef is { } keyRef)
                {
                    bool optional = keyRef.Optional == true;
                    var configMap = ConfigMap(ns, keyRef.Name, optional, configMaps);
                    if (configMap is null)
                        continue;
                    if (configMap.Data is null || !configMap.Data.TryGetValue(keyRef.Key, out string? found))
                    {
                        if (optional)
                            continue;
                        throw new ContainerConfigException($"couldn't find key {keyRef.Key} in ConfigMap {ns}/{keyRef.Name}");
                    }
                    value = found;
                }
                else if (from.SecretKeyRef is { } secretKey)
                {
                    bool optional = secretKey.Optional == true;
                    var secret = Secret(ns, secretKey.Name, optional, secrets);
                    if (secret is null)
                        continue;
                    if (secret.Data is null || !secret.Data.TryGetValue(secretKey.Key, out byte[]? bytes))
                    {
                        if (optional)
                            continue;
                        throw new ContainerConfigException($"couldn't find key {secretKey.Key} in Secret {ns}/{secretKey.Name}");
                    }
                    value = Text(bytes);
                }
            }
            Set(env.Name, value);
        }

        var variables = order.Select(name => new ContainerEnvVar(name, own[name])).ToList();
        foreach (var (name, value) in serviceEnv.OrderBy(p => p.Key, StringComparer.Ordinal))
            if (!own.ContainsKey(name))
                variables.Add(new(name, value));
        return new(variables, warnings);
    }

    private void AddAll(IEnumerable<(string Key, string Value)>? entries, string? prefix, string kind, string ns, string name,
        Action<string, string> set, List<string> warnings)
    {
        var invalid = new List<string>();
        foreach (var (key, value) in entries ?? [])
        {
            string variable = (prefix ?? "") + key;
            if (!EnvVarNames.IsValid(variable))
            {
                invalid.Add(variable);
                continue;
            }
            set(variable, value);
        }
        if (invalid.Count == 0)
            return;
        invalid.Sort(StringComparer.Ordinal);
        string warning = $"Keys [{string.Join(", ", invalid)}] from the EnvFrom {kind} {ns}/{name} were skipped since they are considered invalid environment variable names.";
        logger.LogWarning("InvalidEnvironmentVariableNames: {Warning}", warning);
        warnings.Add(warning);
    }

    private V1ConfigMap? ConfigMap(string ns, string name, bool optional, Dictionary<string, V1ConfigMap> seen)
    {
        if (seen.TryGetValue(name, out var cached))
            return cached;
        var configMap = source.GetConfigMap(ns, name);
        if (configMap is null)
        {
            if (optional)
                return null;
            throw new ContainerConfigException($"configmap \"{name}\" not found");
        }
        return seen[name] = configMap;
    }

    private V1Secret? Secret(string ns, string name, bool optional, Dictionary<string, V1Secret> seen)
    {
        if (seen.TryGetValue(name, out var cached))
            return cached;
        var secret = source.GetSecret(ns, name);
        if (secret is null)
        {
            if (optional)
                return null;
            throw new ContainerConfigException($"secret \"{name}\" not found");
        }
        return seen[name] = secret;
    }

    private static string Text(byte[]? bytes) => bytes is null ? "" : System.Text.Encoding.UTF8.GetString(bytes);
}
