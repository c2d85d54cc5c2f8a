namespace Kybernet.Lab;

/// <summary>
/// The `kybernet agent` process of one node (its overlay, and in kube mode its kubelet), and in kube mode the node's
/// containerd; a pid is 0 while that process is not running.
/// </summary>
public sealed record LabAgent(string Node, int Pid = 0, int ContainerdPid = 0);
