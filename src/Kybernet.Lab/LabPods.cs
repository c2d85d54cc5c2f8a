using System.Text.Json.Nodes;
using Kybernet.Cni;
using Kybernet.Cni.Protocol;
using Kybernet.Cni.Runtime;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Netlink;

namespace Kybernet.Lab;

/// <summary>
/// Pods by hand, until the kubelet exists: a namespace attached to its node exactly as a runtime would
/// attach it, by running the node's conflist (kybernet-bridge on cni0 with host-local IPAM, then portmap)
/// inside the node's namespace. The conflist is built from the node's subnet.env, as flannel's CNI
/// plugin does: the node's subnet for IPAM and the overlay's MTU for the bridge and the pod.
/// </summary>
public sealed class LabPods(string dataDirectory, LabAgents agents)
{
    public const string PodInterface = "eth0";

    /// <summary>DATA_DIR/cni/bin: the plugins, installed by `up`; `down` removes DATA_DIR/cni.</summary>
    public string CniDirectory { get; } = Path.Combine(dataDirectory, "cni");

    public string PluginDirectory => Path.Combine(CniDirectory, "bin");

    /// <summary>Puts the plugin binary and its per-plugin links into <see cref="PluginDirectory"/>.</summary>
    public void InstallPlugins(LabPrograms programs) => CniInstaller.Install(programs.NativeBinary, PluginDirectory);

    public void RemovePlugins()
    {
        if (Directory.Exists(CniDirectory))
            Directory.Delete(CniDirectory, recursive: true);
    }

    /// <summary>The conflist a node's pods get, from its subnet.env.</summary>
    public JsonObject Conflist(LabTopology topology, string node)
    {
        var env = agents.Env(node)
            ?? throw new LabException($"{node} has no subnet yet ({agents.SubnetFile(node)} is missing): is its agent running? (`kybernet lab status`)");
        return DefaultConflist.Build(env.Subnet.ToString(), mtu: env.Mtu,
            dataDir: Path.Combine(agents.NodeDirectory(node), "ipam"));
    }

    /// <summary>Checks that <paramref name="podName"/> can be added on <paramref name="nodeName"/>; returns its record, not yet attached.</summary>
    public LabPod Plan(LabTopology topology, string nodeName, string podName)
    {
        LabTopology.ValidatePodName(podName);
        var node = topology.Machine(nodeName);
        if (node.Role != MachineRole.Node)
            throw new LabException($"pods run on nodes; {nodeName} is the {(node.Role == MachineRole.ControlPlane ? "control plane" : "external client")}");
        if (topology.Backend is null)
            throw new LabException($"lab {topology.Name} runs no overlay (it was brought up with --backend none), so its nodes have no pod subnet");
        if (topology.Pods.Any(p => p.Name == podName))
            throw new LabException($"lab {topology.Name} already has a pod \"{podName}\"");
        return new LabPod(podName, nodeName, topology.PodNamespace(podName), Conflist(topology, nodeName).ToJsonString());
    }

    /// <summary>Creates the pod's namespace and attaches it (CNI ADD); nothing is left behind if that fails.</summary>
    public LabPod Attach(LabTopology topology, LabPod pod)
    {
        using var netns = NetworkNamespace.Create(pod.Namespace);
        try
        {
            using (var netlink = RtNetlink.Open(netns))
                netlink.Links.SetUp("lo");
            using var host = NetworkNamespace.Open(topology.Machine(pod.Node).Namespace);
            var attachment = Attachment(topology, host, pod.Name);
            var conflist = (JsonObject)JsonNode.Parse(pod.Conflist)!;
            var result = CniRuntime.AddNetworkList(conflist, attachment);
            var attached = pod with { AddResult = result.ToJsonString() };
            try
            {
                _ = attached.Address;
            }
            catch (LabException)
            {
                CniRuntime.DelNetworkList(conflist, attachment, result);
                throw new LabException($"the CNI result for pod {pod.Name} has no address: {result.ToJsonString()}");
            }
            return attached;
        }
        catch (Exception e)
        {
            NetworkNamespace.Delete(pod.Namespace);
            if (e is CniRollbackFailedException half)
                throw new LabException($"could not attach pod {pod.Name} on {pod.Node}: {half.Message} (CNI error {half.Code}); it is kept, not attached: remove it with `kybernet lab pod del {pod.Name}`", half);
            throw e is CniException cni ? new LabException($"could not attach pod {pod.Name} on {pod.Node}: {cni.Message} (CNI error {cni.Code})", cni) : e;
        }
    }

    /// <summary>
    /// Detaches the pod (CNI DEL with the conflist and result of its ADD, so host-local frees its address) and
    /// removes its namespace. If DEL fails, the namespace stays, so `pod del` can be run again.
    /// </summary>
    public void Delete(LabTopology topology, LabPod pod)
    {
        if (NetworkNamespace.Exists(topology.Machine(pod.Node).Namespace))
        {
            using var host = NetworkNamespace.Open(topology.Machine(pod.Node).Namespace);
            try
            {
                CniRuntime.DelNetworkList((JsonObject)JsonNode.Parse(pod.Conflist)!, Attachment(topology, host, pod.Name),
                    pod.AddResult is null ? null : JsonNode.Parse(pod.AddResult) as JsonObject);
            }
            catch (CniException e)
            {
                throw new LabException($"could not detach pod {pod.Name} from {pod.Node}: {e.Message} (CNI error {e.Code}); it is kept: run `kybernet lab pod del {pod.Name}` again", e);
            }
        }
        NetworkNamespace.Delete(pod.Namespace);
    }

    /// <summary>The container ID names the lab too, so host veth names do not collide between labs.</summary>
    private PodAttachment Attachment(LabTopology topology, NetworkNamespace host, string podName) =>
        new(host, $"{topology.Name}-{podName}", NetworkNamespace.PathOf(topology.PodNamespace(podName)), PodInterface, [PluginDirectory]);
}
