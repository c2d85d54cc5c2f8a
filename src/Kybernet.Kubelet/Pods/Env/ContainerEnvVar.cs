namespace Kybernet.Kubelet.Pods.Env;

/// <summary>One environment variable as the container will see it.</summary>
public readonly record struct ContainerEnvVar(string Name, string Value);
