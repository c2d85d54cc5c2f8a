using System.Reflection;
using k8s.Models;
using Kybernet.ApiServer.Registry;

namespace Kybernet.ApiServer.Schemas;

/// <summary>The official C# model of a kind, found by its [KubernetesEntity] attribute (group, version, kind).</summary>
public static class KindModels
{
    private static readonly Dictionary<GroupVersionKind, Type> ByKind = typeof(V1Pod).Assembly.GetTypes()
        .Select(t => (Type: t, Entity: t.GetCustomAttribute<KubernetesEntityAttribute>()))
        .Where(m => m.Entity is { Kind.Length: > 0 } && m.Type.IsClass && !m.Type.IsGenericTypeDefinition)
        .GroupBy(m => new GroupVersionKind(m.Entity!.Group ?? "", m.Entity.ApiVersion, m.Entity.Kind))
        .ToDictionary(g => g.Key, g => g.First().Type);

    public static Type? Find(GroupVersionKind kind) => ByKind.GetValueOrDefault(kind);
}
