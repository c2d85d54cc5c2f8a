using System.Collections;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s.Models;

namespace Kybernet.ApiServer.Schemas;

/// <summary>
/// The schemas of the official C# models, in the two forms upstream serves them: OpenAPI v3
/// (components.schemas, a described reference wrapped in allOf) and swagger 2.0 (definitions, $ref
/// beside its description). A model is an object of its JsonPropertyName properties; a list is an
/// array, a dictionary an object with additionalProperties; a value-typed property that is not
/// nullable is required (the models say nothing else about it); descriptions are the models' doc
/// comments. IntOrString and Quantity have upstream's own forms (kubectl explain prints them by
/// name), times are meta's Time. Kinds carry x-kubernetes-group-version-kind. Each model is
/// defined once, under its <see cref="SchemaNames"/> name, with everything it reaches.
/// </summary>
public sealed class ModelSchemas(ModelDocs docs)
{
    private readonly Dictionary<Type, string> _names = [];
    private readonly Dictionary<string, Type> _owners = new(StringComparer.Ordinal);

    /// <summary>Every definition so far, by name, in v3 form.</summary>
    public Dictionary<string, JsonObject> V3 { get; } = new(StringComparer.Ordinal);

    /// <summary>The same definitions in swagger 2.0 form.</summary>
    public Dictionary<string, JsonObject> V2 { get; } = new(StringComparer.Ordinal);

    /// <summary>Defines <paramref name="model"/> (reached from a kind of <paramref name="package"/>) and what it reaches; returns its name.</summary>
    public string Define(Type model, string package)
    {
        if (_names.TryGetValue(model, out var known))
            return known;
        var name = SchemaNames.For(model, package);
        if (_owners.TryGetValue(name, out var other) && other != model)
            name = $"{name}.{model.Name}"; // two models, one upstream name: keep both, apart
        _names[model] = name; // before the properties, so a cycle ends at this name
        _owners[name] = model;
        var own = SchemaNames.Entity(model) is { } kind ? SchemaNames.PackageOf(kind.Group ?? "") : package;

        JsonObject v3 = [], v2 = [];
        var properties3 = new JsonObject();
        var properties2 = new JsonObject();
        var required = new List<string>();
        foreach (var (json, property) in Properties(model))
        {
            var description = docs.Of(property);
            properties3[json] = Property(property.PropertyType, description, own, v3: true);
            properties2[json] = Property(property.PropertyType, description, own, v3: false);
            if (property.PropertyType.IsValueType && Nullable.GetUnderlyingType(property.PropertyType) is null)
                required.Add(json);
        }
        foreach (var schema in new[] { v3, v2 })
        {
            if (docs.Of(model) is { } description)
                schema["description"] = description;
            schema["type"] = "object";
            if (required.Count > 0)
                schema["required"] = new JsonArray(required.Select(r => (JsonNode?)r).ToArray());
            if (SchemaNames.Entity(model) is { } entity)
                schema["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject
                {
                    ["group"] = entity.Group ?? "",
                    ["kind"] = entity.Kind,
                    ["version"] = entity.ApiVersion,
                });
        }
        v3["properties"] = properties3;
        v2["properties"] = properties2;
        V3[name] = v3;
        V2[name] = v2;
        return name;
    }

    /// <summary>A model's JSON fields, sorted by name (as upstream's documents list them).</summary>
    private static IEnumerable<(string Json, PropertyInfo Property)> Properties(Type model) => model
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Select(p => (Json: p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name, Property: p))
        .Where(p => p.Json is not null)
        .Select(p => (p.Json!, p.Property))
        .OrderBy(p => p.Item1, StringComparer.Ordinal);

    private JsonObject Property(Type type, string? description, string package, bool v3)
    {
        var schema = Schema(type, package, v3);
        if (description is null)
            return schema;
        if (schema["$ref"] is { } reference)
        {
            // v3 ignores siblings of $ref, so a described reference is wrapped (upstream's form); 2.0 keeps them side by side.
            return v3
                ? new JsonObject { ["description"] = description, ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = reference.DeepClone() }) }
                : new JsonObject { ["description"] = description, ["$ref"] = reference.DeepClone() };
        }
        var described = new JsonObject { ["description"] = description };
        foreach (var (key, value) in schema)
            described[key] = value?.DeepClone();
        return described;
    }

    private JsonObject Schema(Type type, string package, bool v3)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
            return new() { ["type"] = "string" };
        if (type == typeof(bool))
            return new() { ["type"] = "boolean" };
        if (type == typeof(int))
            return new() { ["type"] = "integer", ["format"] = "int32" };
        if (type == typeof(long))
            return new() { ["type"] = "integer", ["format"] = "int64" };
        if (type == typeof(double) || type == typeof(float))
            return new() { ["type"] = "number", ["format"] = "double" };
        if (type == typeof(byte[]))
            return new() { ["type"] = "string", ["format"] = "byte" };
        if (type == typeof(DateTime) || type == typeof(DateTimeOffset))
            return Reference(DefineSpecial(SchemaNames.Time), v3);
        if (type == typeof(IntOrString))
            return Reference(DefineSpecial(SchemaNames.IntOrString), v3);
        if (type == typeof(ResourceQuantity))
            return Reference(DefineSpecial(SchemaNames.Quantity), v3);
        if (DictionaryValue(type) is { } value)
            return new() { ["type"] = "object", ["additionalProperties"] = Schema(value, package, v3) };
        if (ListElement(type) is { } element)
            return new() { ["type"] = "array", ["items"] = Schema(element, package, v3) };
        if (type.Namespace == "k8s.Models" && type.IsClass)
            return Reference(Define(type, package), v3);
        return new() { ["type"] = "object" }; // object: raw JSON of any shape (RawExtension, FieldsV1)
    }

    private static JsonObject Reference(string name, bool v3) =>
        new() { ["$ref"] = (v3 ? "#/components/schemas/" : "#/definitions/") + name };

    /// <summary>The types apimachinery defines by hand: times, int-or-string, quantities.</summary>
    private string DefineSpecial(string name)
    {
        if (V3.ContainsKey(name))
            return name;
        (V3[name], V2[name]) = name switch
        {
            SchemaNames.Time => (
                new JsonObject { ["description"] = TimeText, ["type"] = "string", ["format"] = "date-time" },
                new JsonObject { ["description"] = TimeText, ["type"] = "string", ["format"] = "date-time" }),
            SchemaNames.IntOrString => (
                new JsonObject
                {
                    ["description"] = IntOrStringText,
                    ["format"] = "int-or-string",
                    ["oneOf"] = new JsonArray(new JsonObject { ["type"] = "integer" }, new JsonObject { ["type"] = "string" }),
                },
                new JsonObject { ["description"] = IntOrStringText, ["type"] = "string", ["format"] = "int-or-string" }),
            SchemaNames.Quantity => (
                new JsonObject
                {
                    ["description"] = QuantityText,
                    ["oneOf"] = new JsonArray(new JsonObject { ["type"] = "string" }, new JsonObject { ["type"] = "number" }),
                },
                new JsonObject { ["description"] = QuantityText, ["type"] = "string" }),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "not a special type"),
        };
        return name;
    }

    private const string TimeText = "A point in time, written as an RFC 3339 date and time in UTC (\"2024-01-02T03:04:05Z\").";

    private const string IntOrStringText = "A value that is either a 32-bit integer or a string, written as whichever it is: " +
        "a port number or a port name, a count or a percentage.";

    private const string QuantityText = "A fixed-point number with an optional suffix, written as a string: \"100m\" (0.1), " +
        "\"128Mi\" (binary units Ki, Mi, Gi, Ti, Pi, Ei), \"1G\" (decimal units k, M, G, T, P, E), or \"1e3\".";

    private static Type? DictionaryValue(Type type)
    {
        var dictionary = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>));
        return dictionary?.GetGenericArguments()[1];
    }

    private static Type? ListElement(Type type)
    {
        if (type == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(type))
            return null;
        var enumerable = type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IEnumerable<>)
            ? type
            : type.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>));
        return enumerable?.GetGenericArguments()[0];
    }
}
