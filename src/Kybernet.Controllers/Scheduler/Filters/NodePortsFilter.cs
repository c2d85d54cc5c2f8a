namespace Kybernet.Controllers.Scheduler.Filters;

/// <summary>A host port (protocol, port, host IP) the node's pods already use cannot be taken again.</summary>
public static class NodePortsFilter
{
    public const string Reason = "node(s) didn't have free ports for the requested pod ports";

    public static Rejection? Check(PodInfo pod, NodeInfo node)
    {
        foreach (var wanted in pod.HostPorts)
            foreach (var used in node.UsedPorts)
                if (wanted.ConflictsWith(used))
                    return Rejection.Resolvable(Reason);
        return null;
    }
}
