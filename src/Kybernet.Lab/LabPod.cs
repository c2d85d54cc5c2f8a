using System.Text.Json.Nodes;
using Kybernet.Linux.Netlink;

namespace Kybernet.Lab;

/// <summary>
/// A pod made by `lab pod add` before the kubelet exists: a network namespace attached to a node by the
/// node's CNI conflist. The pod is recorded before it is attached (<see cref="AddResult"/> null), so an
/// interrupted `add` leaves a record that `pod del` and `down` can clean up; <see cref="Conflist"/> and
/// <see cref="AddResult"/> are kept for DEL, as a runtime caches them (DEL sees exactly what ADD saw).
/// </summary>
public sealed record LabPod(string Name, string Node, string Namespace, string Conflist, string? AddResult = null)
{
    /// <summary>False while it is being attached, or if attaching was interrupted.</summary>
    public bool Attached => AddResult is not null;

    /// <summary>The pod's address, from the CNI result.</summary>
    public InterfaceAddress Address =>
        AddResult is not null && JsonNode.Parse(AddResult)?["ips"]?[0]?["address"] is JsonValue value && value.TryGetValue(out string? text)
            ? InterfaceAddress.Parse(text)
            : throw new LabException($"pod {Name} has no address (it is not attached: delete it with `kybernet lab pod del {Name}`)");
}
