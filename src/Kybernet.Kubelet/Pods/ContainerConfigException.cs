namespace Kybernet.Kubelet.Pods;

/// <summary>
/// A container's configuration cannot be generated (a missing ConfigMap, Secret or key, an unsupported field
/// path). The worker shows the message as the container's CreateContainerConfigError, as upstream does.
/// </summary>
public sealed class ContainerConfigException(string message) : Exception(message);
