using System.Collections;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Kybernet.ApiServer.Admission;

/// <summary>
/// fieldValidation=Strict: every field of a request body must exist in the kind's schema. The schema
/// is read from the official C# models (their JsonPropertyName attributes), so it is upstream's own.
/// </summary>
public static class FieldValidator
{
    private static readonly Dictionary<Type, Dictionary<string, Type>> Schemas = [];
    private static readonly Lock Gate = new();

    /// <summary>Paths of unknown fields, e.g. ".spec.containers[0].imag".</summary>
    public static List<string> UnknownFields(JsonObject obj, Type model)
    {
        var unknown = new List<string>();
        Walk(obj, model, "", unknown, prune: false);
        return unknown;
    }

    /// <summary>Removes unknown fields (what upstream's decoder drops when validation is not Strict); returns their paths.</summary>
    public static List<string> Prune(JsonObject obj, Type model)
    {
        var unknown = new List<string>();
        Walk(obj, model, "", unknown, prune: true);
        return unknown;
    }

    /// <summary>
    /// Strict: unknown fields are a 400 with upstream's "strict decoding error" wording. Otherwise
    /// they are dropped before the object is stored.
    /// </summary>
    public static void Enforce(JsonObject obj, string apiVersion, string kind, bool strict)
    {
        if (ModelFor(apiVersion, kind) is not { } model)
            return;
        if (!strict)
        {
            Prune(obj, model);
            return;
        }
        if (UnknownFields(obj, model) is { Count: > 0 } unknown)
            throw new Http.ApiException(400, "BadRequest",
                $"strict decoding error: {string.Join(", ", unknown.Select(u => $"unknown field \"{u.TrimStart('.')}\""))}");
    }

    public static Type? ModelFor(string apiVersion, string kind)
    {
        // By [KubernetesEntity] first: a kind's name alone is ambiguous (events.k8s.io's Event is not core's).
        var slash = apiVersion.IndexOf('/');
        var gvk = new Registry.GroupVersionKind(slash < 0 ? "" : apiVersion[..slash], apiVersion[(slash + 1)..], kind);
        if (Kybernet.ApiServer.Schemas.KindModels.Find(gvk) is { } entity)
            return entity;
        var version = apiVersion.Contains('/') ? apiVersion[(apiVersion.IndexOf('/') + 1)..] : apiVersion;
        var name = $"k8s.Models.{char.ToUpperInvariant(version[0])}{version[1..]}{kind}";
        return typeof(k8s.Models.V1Pod).Assembly.GetType(name);
    }

    private static void Walk(JsonNode? node, Type type, string path, List<string> unknown, bool prune)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        switch (node)
        {
            case JsonObject obj when IsDictionary(type, out var valueType):
                foreach (var (key, value) in obj)
                    Walk(value, valueType, $"{path}.{key}", unknown, prune);
                break;
            case JsonObject obj when IsModel(type):
                var fields = Fields(type);
                foreach (var (key, value) in obj.ToList())
                {
                    if (fields.TryGetValue(key, out var fieldType))
                        Walk(value, fieldType, $"{path}.{key}", unknown, prune);
                    else
                    {
                        unknown.Add($"{path}.{key}");
                        if (prune)
                            obj.Remove(key);
                    }
                }
                break;
            case JsonArray array when ElementType(type) is { } element:
                for (int i = 0; i < array.Count; i++)
                    Walk(array[i], element, $"{path}[{i}]", unknown, prune);
                break;
        }
    }

    private static bool IsModel(Type type) => type.Namespace == "k8s.Models" && type.IsClass && Fields(type).Count > 0;

    private static bool IsDictionary(Type type, out Type valueType)
    {
        var dictionary = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));
        valueType = dictionary?.GetGenericArguments()[1] ?? typeof(object);
        return dictionary is not null;
    }

    private static Type? ElementType(Type type)
    {
        if (type == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(type))
            return null;
        var list = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IList<>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IList<>));
        return list?.GetGenericArguments()[0];
    }

    private static Dictionary<string, Type> Fields(Type type)
    {
        lock (Gate)
        {
            if (!Schemas.TryGetValue(type, out var fields))
            {
                fields = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
                    .Select(p => (Name: p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name, p.PropertyType))
                    .Where(p => p.Name is not null)
                    .ToDictionary(p => p.Name!, p => p.PropertyType);
                Schemas[type] = fields;
            }
            return fields;
        }
    }
}
