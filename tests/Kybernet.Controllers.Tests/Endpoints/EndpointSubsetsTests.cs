using k8s.Models;
using Kybernet.Controllers.Endpoints;

namespace Kybernet.Controllers.Tests.Endpoints;

/// <summary>The pure part of the endpoints controller: subsets from a Service and pods, and their truncation.</summary>
public sealed class EndpointSubsetsTests
{
    private static V1Service Service(bool publishNotReady = false) => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default", Uid = "svc" },
        Spec = new V1ServiceSpec
        {
            ClusterIP = "10.96.0.20",
            Selector = new Dictionary<string, string> { ["app"] = "web" },
            PublishNotReadyAddresses = publishNotReady,
            Ports = [new V1ServicePort { Name = "web", Port = 80, TargetPort = "http", Protocol = "TCP" }],
        },
    };

    private static V1Pod Pod(int i, bool ready) => new()
    {
        Metadata = new V1ObjectMeta { Name = $"p{i}", NamespaceProperty = "default", Uid = $"uid-{i}", Labels = new Dictionary<string, string> { ["app"] = "web" } },
        Spec = new V1PodSpec { NodeName = "n1", Containers = [new V1Container { Name = "c", Ports = [new V1ContainerPort { Name = "http", ContainerPort = 8080, Protocol = "TCP" }] }] },
        Status = new V1PodStatus
        {
            Phase = "Running",
            PodIP = $"10.{i / 65536 % 256}.{i / 256 % 256}.{i % 256}",
            Conditions = [new V1PodCondition { Type = "Ready", Status = ready ? "True" : "False" }],
        },
    };

    [Fact]
    public void Over_a_thousand_addresses_keep_every_ready_one_first_and_are_marked_truncated()
    {
        var pods = Enumerable.Range(0, 900).Select(i => Pod(i, ready: true)).Concat(Enumerable.Range(900, 300).Select(i => Pod(i, ready: false)));
        var result = EndpointSubsets.Compute(Service(), pods, maxAddresses: 1000);
        Assert.True(result.Truncated);
        Assert.Equal((900, 300), (result.Ready, result.NotReady));
        var subset = Assert.Single(result.Subsets);
        Assert.Equal(900, subset.Addresses.Count);
        Assert.Equal(100, subset.NotReadyAddresses.Count);
    }

    [Fact]
    public void When_ready_addresses_alone_are_too_many_they_are_shared_out_and_not_ready_ones_dropped()
    {
        var subsets = new List<V1EndpointSubset>
        {
            new() { Addresses = [.. Enumerable.Range(0, 900).Select(i => new V1EndpointAddress { Ip = $"a{i}" })], NotReadyAddresses = [new V1EndpointAddress { Ip = "x" }] },
            new() { Addresses = [.. Enumerable.Range(0, 300).Select(i => new V1EndpointAddress { Ip = $"b{i}" })] },
        };
        Assert.True(EndpointSubsets.Truncate(subsets, 1000));
        Assert.Equal(750, subsets[0].Addresses.Count); // 900/1200 of 1000
        Assert.Equal(250, subsets[1].Addresses.Count);
        Assert.Null(subsets[0].NotReadyAddresses);
        Assert.False(EndpointSubsets.Truncate(subsets, 1000));
    }

    [Fact]
    public void Terminating_and_finished_pods_are_left_out_unless_published()
    {
        var terminating = Pod(1, ready: true);
        terminating.Metadata.DeletionTimestamp = DateTime.UtcNow;
        var finished = Pod(2, ready: false);
        finished.Spec.RestartPolicy = "Never";
        finished.Status.Phase = "Succeeded";
        Assert.Empty(EndpointSubsets.Compute(Service(), [terminating, finished], 1000).Subsets);
        var published = Assert.Single(EndpointSubsets.Compute(Service(publishNotReady: true), [terminating, finished], 1000).Subsets);
        Assert.Equal(["10.0.0.1"], published.Addresses.Select(a => a.Ip));
    }

    [Fact]
    public void The_trigger_time_is_written_as_go_writes_rfc3339_nano()
    {
        Assert.Equal("2026-12-02T09:40:01Z", EndpointLabels.FormatTime(new DateTime(2026, 12, 2, 9, 40, 1, DateTimeKind.Utc)));
        Assert.Equal("2026-12-02T09:40:01.25Z", EndpointLabels.FormatTime(new DateTime(2026, 12, 2, 9, 40, 1, 250, DateTimeKind.Utc)));
    }

    [Fact]
    public void The_trigger_time_is_the_creation_for_a_new_service_then_the_earliest_change_not_yet_written()
    {
        var tracker = new TriggerTimeTracker();
        var service = Service();
        service.Metadata.CreationTimestamp = new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        var a = Pod(1, ready: true);
        var b = Pod(2, ready: true);
        a.Status.Conditions[0].LastTransitionTime = new DateTime(2026, 1, 1, 0, 1, 0, DateTimeKind.Utc);
        b.Status.Conditions[0].LastTransitionTime = new DateTime(2026, 1, 1, 0, 2, 0, DateTimeKind.Utc);
        Assert.Equal(service.Metadata.CreationTimestamp, tracker.Compute("default/web", service, [a, b]));
        Assert.Null(tracker.Compute("default/web", service, [a, b]));
        a.Status.Conditions[0].LastTransitionTime = new DateTime(2026, 1, 1, 0, 5, 0, DateTimeKind.Utc);
        b.Status.Conditions[0].LastTransitionTime = new DateTime(2026, 1, 1, 0, 4, 0, DateTimeKind.Utc);
        Assert.Equal(new DateTime(2026, 1, 1, 0, 4, 0, DateTimeKind.Utc), tracker.Compute("default/web", service, [a, b]));
    }
}
