using Kybernet.Linux.Netlink;

namespace Kybernet.Lab;

public enum MachineRole
{
    ControlPlane,
    Node,
    External,
}

/// <summary>
/// One machine of the lab: a network namespace with an "eth0" on the underlay. <see cref="HostVeth"/> is
/// eth0's other end, a port of the underlay bridge in the lab's own underlay namespace.
/// </summary>
public sealed record LabMachine(string Name, MachineRole Role, string Namespace, InterfaceAddress Address, string HostVeth);
