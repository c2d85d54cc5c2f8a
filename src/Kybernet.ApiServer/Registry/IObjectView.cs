using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Registry;

/// <summary>The group, version and kind of a body: what requests carry and answers are.</summary>
public sealed record GroupVersionKind(string Group, string Version, string Kind)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
}

/// <summary>
/// What one URL of an object reads and writes: the object itself, or a subresource's view of it.
/// GET answers <see cref="Show"/> of the stored object; PUT and PATCH write a view, which
/// <see cref="ApplyTo"/> turns into the whole object to store.
/// </summary>
public interface IObjectView
{
    GroupVersionKind ResponseKind { get; }

    JsonObject Show(JsonObject stored);

    JsonObject ApplyTo(JsonObject current, JsonObject written);
}

/// <summary>The object itself, at its own URL: an update keeps what the kind's strategy says it keeps.</summary>
public sealed class WholeObject(ResourceStrategy strategy) : IObjectView
{
    public GroupVersionKind ResponseKind { get; } = new(strategy.Resource.Group, strategy.Resource.Version, strategy.Resource.Kind);

    public JsonObject Show(JsonObject stored) => stored;

    public JsonObject ApplyTo(JsonObject current, JsonObject written)
    {
        strategy.PrepareForUpdate(written, current);
        return written;
    }
}
