namespace Kybernet.Kubelet.Tests;

/// <summary>Placeholder so the project builds; replaced by the kubelet's tests as they land.</summary>
internal static class ProjectTests;
