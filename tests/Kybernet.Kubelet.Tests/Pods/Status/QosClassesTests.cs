using k8s.Models;
using Kybernet.Kubelet.Pods.Status;

namespace Kybernet.Kubelet.Tests.Pods.Status;

/// <summary>QoS class from cpu and memory requests and limits.</summary>
public sealed class QosClassesTests
{
    private static V1Container C(string? requests = null, string? limits = null) => new()
    {
        Name = "c",
        Resources = new V1ResourceRequirements { Requests = Parse(requests), Limits = Parse(limits) },
    };

    // "cpu=100m,memory=64Mi"
    private static Dictionary<string, ResourceQuantity>? Parse(string? list) =>
        list?.Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => new ResourceQuantity(p[1]));

    [Theory]
    [InlineData(null, null, "BestEffort")]
    [InlineData("cpu=0", null, "BestEffort")]
    [InlineData("cpu=100m", null, "Burstable")]
    [InlineData("cpu=100m,memory=64Mi", "cpu=200m,memory=64Mi", "Burstable")]
    [InlineData(null, "cpu=1", "Burstable")]
    [InlineData("cpu=100m,memory=64Mi", "cpu=100m,memory=64Mi", "Guaranteed")]
    [InlineData(null, "cpu=500m,memory=1Gi", "Guaranteed")]
    [InlineData("cpu=0.5,memory=1Gi", "cpu=500m,memory=1024Mi", "Guaranteed")]
    [InlineData("ephemeral-storage=1Gi", null, "BestEffort")]
    public void OneContainer(string? requests, string? limits, string expected) =>
        Assert.Equal(expected, QosClasses.Of(new V1PodSpec { Containers = [C(requests, limits)] }));

    [Fact]
    public void EveryContainerMustBeGuaranteed()
    {
        var guaranteed = C("cpu=1,memory=1Gi", "cpu=1,memory=1Gi");
        Assert.Equal("Guaranteed", QosClasses.Of(new V1PodSpec { Containers = [guaranteed, C("cpu=1,memory=1Gi", "cpu=1,memory=1Gi")] }));
        Assert.Equal("Burstable", QosClasses.Of(new V1PodSpec { Containers = [guaranteed, C()] }));
        Assert.Equal("Burstable", QosClasses.Of(new V1PodSpec { Containers = [guaranteed], InitContainers = [C("cpu=1")] }));
    }
}
