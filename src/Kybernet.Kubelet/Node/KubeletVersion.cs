namespace Kybernet.Kubelet.Node;

/// <summary>
/// The version this kubelet reports in nodeInfo (kubectl's VERSION column): the Kubernetes release whose kubelet
/// behaviour it follows and whose kubectl (v1.32) the project tests with. One constant, changed with that target.
/// </summary>
public static class KubeletVersion
{
    public const string Value = "v1.32.0";
}
