using k8s.Models;
using Kybernet.Kubelet.Pods.Status;
using static Kybernet.Kubelet.Tests.Pods.Status.Statuses;

namespace Kybernet.Kubelet.Tests.Pods.Status;

/// <summary>Initialized, ContainersReady and Ready with upstream's reasons and messages, and readiness gates.</summary>
public sealed class PodConditionsTests
{
    private static (string? Status, string? Reason, string? Message) Of(V1PodCondition c) => (c.Status, c.Reason, c.Message);

    [Fact]
    public void AllReadyIsReady()
    {
        var spec = Spec("Always", ["a", "b"]);
        V1ContainerStatus[] statuses = [Running("a"), Running("b")];
        Assert.Equal(("True", null, null), Of(PodConditions.ContainersReadyCondition(spec, statuses, "Running")));
        Assert.Equal(("True", null, null), Of(PodConditions.ReadyCondition(spec, [], statuses, "Running")));
    }

    [Fact]
    public void UnreadyAndUnknownContainersAreNamed()
    {
        var spec = Spec("Always", ["a", "b", "c"]);
        V1ContainerStatus[] statuses = [Running("a", ready: false), Waiting("b")];
        var expected = ("False", "ContainersNotReady", "containers with unknown status: [c], containers with unready status: [a b]");
        Assert.Equal(expected, Of(PodConditions.ContainersReadyCondition(spec, statuses, "Pending")));
        Assert.Equal(expected, Of(PodConditions.ReadyCondition(spec, [], statuses, "Pending")));
    }

    [Fact]
    public void ASidecarCountsForReadinessAndARegularInitContainerDoesNot()
    {
        var spec = Spec("Always", ["a"], init: ["i"], sidecars: ["s"]);
        V1ContainerStatus[] statuses = [Exited("i", 0), Running("s", ready: false), Running("a")];
        Assert.Equal(("False", "ContainersNotReady", "containers with unready status: [s]"), Of(PodConditions.ContainersReadyCondition(spec, statuses, "Running")));
    }

    [Fact]
    public void TerminalPhasesSayWhy()
    {
        var spec = Spec("Never", ["a"]);
        Assert.Equal(("False", "PodCompleted", null), Of(PodConditions.ContainersReadyCondition(spec, [Exited("a", 0)], "Succeeded")));
        Assert.Equal(("False", "PodFailed", null), Of(PodConditions.ReadyCondition(spec, [], [Exited("a", 1)], "Failed")));
        Assert.Equal(("True", "PodCompleted", null), Of(PodConditions.InitializedCondition(spec, [Exited("a", 0)], "Succeeded")));
    }

    [Fact]
    public void ReadinessGatesHoldReadyBack()
    {
        var spec = Spec("Always", ["a"]);
        spec.ReadinessGates = [new V1PodReadinessGate { ConditionType = "example.com/lb" }, new V1PodReadinessGate { ConditionType = "example.com/dns" }];
        V1ContainerStatus[] statuses = [Running("a")];

        var missing = PodConditions.ReadyCondition(spec, [new V1PodCondition { Type = "example.com/dns", Status = "False" }], statuses, "Running");
        Assert.Equal(
            ("False", "ReadinessGatesNotReady", "corresponding condition of pod readiness gate \"example.com/lb\" does not exist., the status of pod readiness gate \"example.com/dns\" is not \"True\", but False"),
            Of(missing));

        V1PodCondition[] both = [new() { Type = "example.com/lb", Status = "True" }, new() { Type = "example.com/dns", Status = "True" }];
        Assert.Equal(("True", null, null), Of(PodConditions.ReadyCondition(spec, both, statuses, "Running")));
        // ContainersReady does not look at gates.
        Assert.Equal("True", PodConditions.ContainersReadyCondition(spec, statuses, "Running").Status);
    }

    [Fact]
    public void InitializedWaitsForEveryInitContainer()
    {
        var spec = Spec("Always", ["a"], init: ["i1", "i2"]);
        V1ContainerStatus[] statuses = [Completed("i1"), Running("i2"), Waiting("a")];
        statuses[1].Ready = false;
        Assert.Equal(("False", "ContainersNotInitialized", "containers with incomplete status: [i2]"), Of(PodConditions.InitializedCondition(spec, statuses, "Pending")));

        var none = PodConditions.InitializedCondition(spec, [], "Pending");
        Assert.Equal(("False", "ContainersNotInitialized", "containers with unknown status: [i1 i2]"), Of(none));

        V1ContainerStatus[] done = [Completed("i1"), Completed("i2"), Waiting("a")];
        Assert.Equal(("True", null, null), Of(PodConditions.InitializedCondition(spec, done, "Pending")));
    }

    [Fact]
    public void ASidecarIsInitializedOnceStarted()
    {
        var spec = Spec("Always", ["a"], sidecars: ["s"]);
        Assert.Equal("False", PodConditions.InitializedCondition(spec, [Running("s", started: false), Waiting("a")], "Pending").Status);
        Assert.Equal("True", PodConditions.InitializedCondition(spec, [Running("s"), Waiting("a")], "Pending").Status);
    }
}
