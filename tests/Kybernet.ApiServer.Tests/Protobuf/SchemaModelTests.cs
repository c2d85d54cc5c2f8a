using System.Reflection;
using System.Text.Json.Serialization;
using Kybernet.ApiServer.Protobuf;

namespace Kybernet.ApiServer.Tests.Protobuf;

/// <summary>
/// The protobuf schema's JSON names agree with the official C# models (KubernetesClient), an
/// independent source: every field of every message of every kind is a property of the model the
/// kind maps to, recursively, and every model property is in the schema.
/// </summary>
public sealed class SchemaModelTests
{
    public static TheoryData<string, string> Kinds() => RoundTripTests.Kinds();

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Json_names_match_the_official_models(string apiVersion, string kind)
    {
        var schema = ProtoSchema.Kubernetes.ForKind(apiVersion, kind)!;
        var model = ModelType(apiVersion, kind);
        Assert.True(model is not null, $"no KubernetesClient model for {apiVersion} {kind}");
        var differences = new List<string>();
        Compare(schema, model, kind, differences, depth: 0);
        Assert.True(differences.Count == 0, string.Join('\n', differences));
    }

    private static Type? ModelType(string apiVersion, string kind)
    {
        var assembly = typeof(k8s.Models.V1Pod).Assembly;
        var version = apiVersion.Split('/')[^1];
        var prefix = char.ToUpperInvariant(version[0]) + version[1..];
        // Kinds whose names two groups share carry their group in the model's name.
        string[] names = apiVersion switch
        {
            "v1" when kind.StartsWith("Event", StringComparison.Ordinal) => [$"Corev1{kind}"],
            "events.k8s.io/v1" => [$"Eventsv1{kind}"],
            "authentication.k8s.io/v1" when kind.StartsWith("TokenRequest", StringComparison.Ordinal) => [$"Authenticationv1{kind}"],
            _ => [$"{prefix}{kind}"],
        };
        return names.Select(n => assembly.GetType($"k8s.Models.{n}")).FirstOrDefault(t => t is not null);
    }

    private static void Compare(ProtoMessageSchema schema, Type model, string path, List<string> differences, int depth)
    {
        if (depth > 12)
            return;
        var properties = model.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (Property: p, Name: p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name))
            .Where(p => p.Name is not null)
            .ToDictionary(p => p.Name!, p => p.Property);
        var fields = Flatten(schema).ToList();
        foreach (var field in fields)
        {
            if (!properties.TryGetValue(field.JsonName, out var property))
            {
                differences.Add($"{path}.{field.JsonName}: in the schema, not in {model.Name}");
                continue;
            }
            if (field.Type == ProtoType.Message && Element(property.PropertyType) is { } nested && nested.Namespace == "k8s.Models")
                Compare(field.Message!, nested, $"{path}.{field.JsonName}", differences, depth + 1);
        }
        foreach (var name in properties.Keys.Except(fields.Select(f => f.JsonName)).Except(["apiVersion", "kind"]).Except(NewerThanTheSchema))
            differences.Add($"{path}.{name}: in {model.Name}, not in the schema");
    }

    /// <summary>Fields the models have that the upstream snapshot the schema was taken from did not (yet): a client sending them is read as if it had not.</summary>
    private static readonly string[] NewerThanTheSchema = ["runningInUserNamespace"];

    private static IEnumerable<ProtoFieldSchema> Flatten(ProtoMessageSchema schema) =>
        schema.Fields.SelectMany(f => f.Inline ? Flatten(f.Message!) : [f]);

    /// <summary>A list's or map's element type, or the type itself.</summary>
    private static Type? Element(Type type)
    {
        if (type.IsGenericType)
            return type.GetGenericArguments()[^1];
        return type;
    }
}
