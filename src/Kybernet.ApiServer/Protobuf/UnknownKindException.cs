namespace Kybernet.ApiServer.Protobuf;

/// <summary>A protobuf object whose apiVersion and kind the schema does not describe.</summary>
public sealed class UnknownKindException(string apiVersion, string kind)
    : Exception($"protobuf is not understood for {(apiVersion.Length == 0 ? "" : apiVersion + " ")}{kind}: send it as JSON (kubectl create -f, apply -f)")
{
    public string ApiVersion { get; } = apiVersion;
    public string Kind { get; } = kind;
}
