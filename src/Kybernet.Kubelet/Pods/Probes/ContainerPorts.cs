using System.Globalization;
using k8s.Models;

namespace Kybernet.Kubelet.Pods.Probes;

/// <summary>A probe's port: a number, or the name of one of the container's ports (upstream's ResolveContainerPort).</summary>
public static class ContainerPorts
{
    /// <summary>The port number, or an error worded as upstream's (a name it cannot find falls back to parsing it as a number).</summary>
    public static bool TryResolve(IntOrString? port, V1Container container, out int number, out string error)
    {
        number = -1;
        error = "";
        var text = port?.Value ?? "";
        var byName = container.Ports?.FirstOrDefault(p => p.Name == text);
        if (byName is not null)
            number = byName.ContainerPort;
        else if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out number))
        {
            error = $"strconv.Atoi: parsing \"{text}\": invalid syntax";
            return false;
        }
        if (number is > 0 and < 65536)
            return true;
        error = $"invalid port number: {number}";
        return false;
    }
}
