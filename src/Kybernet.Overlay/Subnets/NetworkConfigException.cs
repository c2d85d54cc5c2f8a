namespace Kybernet.Overlay.Subnets;

/// <summary>The overlay's network config is missing or wrong; <see cref="Field"/> names the key at fault ("" for the document).</summary>
public sealed class NetworkConfigException(string field, string message)
    : Exception(field.Length == 0 ? $"network config: {message}" : $"network config: {field}: {message}")
{
    public string Field { get; } = field;
}
