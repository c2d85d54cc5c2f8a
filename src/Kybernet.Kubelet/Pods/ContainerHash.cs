using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;

namespace Kybernet.Kubelet.Pods;

/// <summary>
/// A short hash of a container's spec, kept on the running container: when the pod's spec of that container changes
/// (image, command, env...), the hashes differ and the kubelet restarts it, as upstream does.
/// </summary>
public static class ContainerHash
{
    public static string Of(V1Container container)
    {
        var json = KubernetesJson.Serialize(container);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..16];
    }
}
