using Kybernet.Linux.Netlink;

namespace Kybernet.Lab;

/// <summary>
/// A pod made by `lab pod add` before the kubelet exists: a network namespace attached to a node by
/// the node's CNI conflist, with the address the plugins gave it. <see cref="AddResult"/> is the CNI
/// result, kept for DEL as a runtime keeps it.
/// </summary>
public sealed record LabPod(string Name, string Node, string Namespace, InterfaceAddress Address, string AddResult);
