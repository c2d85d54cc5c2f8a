namespace Kybernet.ApiServer.Protobuf;

/// <summary>
/// How a field is carried on the wire and in JSON: protobuf scalars, nested messages, and the
/// apimachinery types whose JSON form is not their message's (Time is an RFC 3339 string, not
/// {seconds, nanos}).
/// </summary>
public enum ProtoType : byte
{
    String,
    Int32,
    Int64,
    Bool,
    /// <summary>bytes; base64 in JSON.</summary>
    Bytes,
    Double,
    Message,
    /// <summary>metav1.Time {seconds=1, nanos=2}; RFC 3339 in seconds in JSON.</summary>
    Time,
    /// <summary>metav1.MicroTime {seconds=1, nanos=2}; RFC 3339 with microseconds in JSON.</summary>
    MicroTime,
    /// <summary>metav1.Duration {duration=1} in nanoseconds; a Go duration string ("1h0m0s") in JSON.</summary>
    Duration,
    /// <summary>metav1.FieldsV1 {Raw=1}: JSON bytes, embedded as they are.</summary>
    Fields,
    /// <summary>intstr.IntOrString {type=1, intVal=2, strVal=3}; a number or a string in JSON.</summary>
    IntOrString,
    /// <summary>resource.Quantity {string=1}; its string in JSON.</summary>
    Quantity,
    /// <summary>runtime.RawExtension {raw=1}: an embedded object, JSON or "k8s\0"-prefixed protobuf.</summary>
    Raw,
    /// <summary>A message {repeated string items = 1} (authentication's ExtraValue) that JSON writes as the list itself.</summary>
    Strings,
}
