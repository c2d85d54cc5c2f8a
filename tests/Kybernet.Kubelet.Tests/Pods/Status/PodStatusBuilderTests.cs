using k8s;
using k8s.Models;
using Kybernet.Kubelet.Pods.Status;

namespace Kybernet.Kubelet.Tests.Pods.Status;

/// <summary>The whole API status from a runtime snapshot: container states and reasons, conditions, times, IPs, "did it change".</summary>
public sealed class PodStatusBuilderTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 2, 12, 0, 0, TimeSpan.Zero);

    private static V1Pod Pod(string restartPolicy = "Always", string[]? init = null, params string[] containers) => new()
    {
        Metadata = new V1ObjectMeta { Name = "web", NamespaceProperty = "default", Uid = "uid-1" },
        Spec = Statuses.Spec(restartPolicy, containers.Length == 0 ? ["app"] : containers, init),
        Status = new V1PodStatus { Phase = "Pending", Conditions = [new V1PodCondition { Type = "PodScheduled", Status = "True", LastTransitionTime = T0.UtcDateTime.AddMinutes(-1) }] },
    };

    private static ContainerInstance RunningInstance(string id = "containerd://c1") =>
        new(id, ContainerRunState.Running, "docker.io/library/busybox:latest", "sha256:abc", StartedAt: T0.AddSeconds(-30));

    private static ContainerInstance ExitedInstance(int code, string id = "containerd://c1", string? reason = null) =>
        new(id, ContainerRunState.Exited, "docker.io/library/busybox:latest", "sha256:abc", T0.AddSeconds(-30), T0.AddSeconds(-5), code, reason);

    private static PodRuntimeSnapshot Snapshot(params ContainerSnapshot[] containers) =>
        new(containers, SandboxReady: true, PodIPs: ["10.244.1.5"], HostIPs: ["172.18.0.2"]);

    private static Dictionary<string, V1PodCondition> ConditionsOf(V1PodStatus status) => status.Conditions.ToDictionary(c => c.Type);

    [Fact]
    public void ANewPodWaitsForItsInitContainers()
    {
        var pod = Pod(init: ["setup"], containers: ["web", "logger"]);
        var status = PodStatusBuilder.Build(pod, new PodRuntimeSnapshot([], false, [], ["172.18.0.2"]), T0);

        Assert.Equal("Pending", status.Phase);
        Assert.Equal(["logger", "web"], status.ContainerStatuses.Select(s => s.Name));
        Assert.All(status.ContainerStatuses.Concat(status.InitContainerStatuses), s => Assert.Equal("PodInitializing", s.State.Waiting.Reason));
        Assert.Equal(["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"], status.Conditions.Select(c => c.Type));
        var conditions = ConditionsOf(status);
        Assert.Equal("False", conditions["PodReadyToStartContainers"].Status);
        Assert.Equal(("False", "ContainersNotInitialized", "containers with incomplete status: [setup]"), (conditions["Initialized"].Status, conditions["Initialized"].Reason, conditions["Initialized"].Message));
        Assert.Equal(("False", "ContainersNotReady", "containers with unready status: [web logger]"), (conditions["Ready"].Status, conditions["Ready"].Reason, conditions["Ready"].Message));
        Assert.Equal(T0.UtcDateTime.AddMinutes(-1), conditions["PodScheduled"].LastTransitionTime);
        Assert.Equal(T0.UtcDateTime, status.StartTime);
        Assert.Equal("BestEffort", status.QosClass);
        Assert.Equal("172.18.0.2", status.HostIP);
        Assert.Null(status.PodIP);
    }

    [Fact]
    public void ARunningReadyContainer()
    {
        var pod = Pod();
        var status = PodStatusBuilder.Build(pod, Snapshot(new ContainerSnapshot("app", RunningInstance(), Ready: true, Started: true)), T0);

        Assert.Equal("Running", status.Phase);
        var app = Assert.Single(status.ContainerStatuses);
        Assert.Equal(("containerd://c1", "sha256:abc", "docker.io/library/busybox:latest", true, true), (app.ContainerID, app.ImageID, app.Image, app.Ready, app.Started));
        Assert.Equal(T0.UtcDateTime.AddSeconds(-30), app.State.Running.StartedAt);
        Assert.All(status.Conditions, c => Assert.Equal("True", c.Status));
        Assert.Equal(("10.244.1.5", "10.244.1.5"), (status.PodIP, status.PodIPs.Single().Ip));
        Assert.Equal("172.18.0.2", status.HostIPs.Single().Ip);
    }

    [Fact]
    public void ANotStartedContainerIsNotReady()
    {
        var status = PodStatusBuilder.Build(Pod(), Snapshot(new ContainerSnapshot("app", RunningInstance(), Ready: true, Started: false)), T0);
        var app = Assert.Single(status.ContainerStatuses);
        Assert.Equal((false, false), (app.Ready, app.Started));
        Assert.Equal("Running", status.Phase);
    }

    [Fact]
    public void TransitionTimesStayWhileAConditionHoldsAndTheStatusIsUnchanged()
    {
        var pod = Pod();
        var snapshot = Snapshot(new ContainerSnapshot("app", RunningInstance(), Ready: false, Started: true));
        var first = PodStatusBuilder.Build(pod, snapshot, T0);
        pod.Status = KubernetesJson.Deserialize<V1PodStatus>(KubernetesJson.Serialize(first)); // as read back from the API

        var again = PodStatusBuilder.Build(pod, snapshot, T0.AddSeconds(30));
        Assert.False(PodStatusComparer.Changed(pod.Status, again));

        var ready = PodStatusBuilder.Build(pod, snapshot with { Containers = [new ContainerSnapshot("app", RunningInstance(), Ready: true, Started: true)] }, T0.AddSeconds(60));
        Assert.True(PodStatusComparer.Changed(pod.Status, ready));
        var conditions = ConditionsOf(ready);
        Assert.Equal(T0.UtcDateTime.AddSeconds(60), conditions["Ready"].LastTransitionTime);
        Assert.Equal(T0.UtcDateTime.AddSeconds(60), conditions["ContainersReady"].LastTransitionTime);
        Assert.Equal(T0.UtcDateTime, conditions["Initialized"].LastTransitionTime);
        Assert.Equal(T0.UtcDateTime, ready.StartTime);
    }

    [Fact]
    public void ACrashLoopingContainerWaitsWithItsLastTermination()
    {
        var waiting = new ContainerWaiting("CrashLoopBackOff", "back-off 20s restarting failed container=app pod=web_default(uid-1)");
        var status = PodStatusBuilder.Build(Pod(), Snapshot(new ContainerSnapshot("app", ExitedInstance(1), RestartCount: 3, Waiting: waiting)), T0);

        var app = Assert.Single(status.ContainerStatuses);
        Assert.Equal(("CrashLoopBackOff", waiting.Message), (app.State.Waiting.Reason, app.State.Waiting.Message));
        Assert.Equal((1, "Error", "containerd://c1"), (app.LastState.Terminated.ExitCode, app.LastState.Terminated.Reason, app.LastState.Terminated.ContainerID));
        Assert.Equal(3, app.RestartCount);
        Assert.False(app.Ready);
        Assert.Equal("Running", status.Phase);
        Assert.Equal("containers with unready status: [app]", ConditionsOf(status)["Ready"].Message);
    }

    [Fact]
    public void UnderNeverAFailedContainerStaysTerminated()
    {
        var waiting = new ContainerWaiting("CrashLoopBackOff", "ignored");
        var status = PodStatusBuilder.Build(Pod("Never"), Snapshot(new ContainerSnapshot("app", ExitedInstance(2), Waiting: waiting)), T0);
        var app = Assert.Single(status.ContainerStatuses);
        Assert.Equal((2, "Error"), (app.State.Terminated.ExitCode, app.State.Terminated.Reason));
        Assert.Equal("Failed", status.Phase);
        Assert.Equal("PodFailed", ConditionsOf(status)["Ready"].Reason);
    }

    [Theory]
    [InlineData("ErrImagePull", "failed to pull and unpack image \"docker.io/library/nope:latest\": not found")]
    [InlineData("ImagePullBackOff", "Back-off pulling image \"nope\"")]
    [InlineData("CreateContainerConfigError", "configmap \"settings\" not found")]
    public void AContainerThatCouldNotBeCreatedWaitsWithTheReason(string reason, string message)
    {
        var status = PodStatusBuilder.Build(Pod(), Snapshot(new ContainerSnapshot("app", Waiting: new ContainerWaiting(reason, message))), T0);
        var app = Assert.Single(status.ContainerStatuses);
        Assert.Equal((reason, message), (app.State.Waiting.Reason, app.State.Waiting.Message));
        Assert.Equal("busybox", app.Image);
        Assert.Equal("Pending", status.Phase);
    }

    [Fact]
    public void ExitReasonsComeFromTheRuntimeOrTheExitCode()
    {
        var status = PodStatusBuilder.Build(
            Pod("OnFailure", containers: ["a", "b"]),
            Snapshot(new ContainerSnapshot("a", ExitedInstance(0)), new ContainerSnapshot("b", ExitedInstance(137, "containerd://c2", "OOMKilled"), Waiting: new ContainerWaiting("CrashLoopBackOff", "m"))),
            T0);
        Assert.Equal("Completed", status.ContainerStatuses[0].State.Terminated.Reason);
        Assert.Equal("OOMKilled", status.ContainerStatuses[1].LastState.Terminated.Reason);
        Assert.Equal("Running", status.Phase);
    }

    [Fact]
    public void TheOlderInstanceIsTheLastState()
    {
        var status = PodStatusBuilder.Build(Pod(), Snapshot(new ContainerSnapshot("app", RunningInstance("containerd://c2"), ExitedInstance(1), RestartCount: 1, Ready: true, Started: true)), T0);
        var app = Assert.Single(status.ContainerStatuses);
        Assert.NotNull(app.State.Running);
        Assert.Equal(("containerd://c1", 1), (app.LastState.Terminated.ContainerID, app.LastState.Terminated.ExitCode));
        Assert.Equal(T0.UtcDateTime.AddSeconds(-5), app.LastState.Terminated.FinishedAt);
    }

    [Fact]
    public void CompletedInitContainersAreReadyAndThePodInitialized()
    {
        var status = PodStatusBuilder.Build(
            Pod(init: ["setup"]),
            Snapshot(new ContainerSnapshot("setup", ExitedInstance(0, "containerd://i1")), new ContainerSnapshot("app", RunningInstance(), Ready: true, Started: true)),
            T0);
        var setup = Assert.Single(status.InitContainerStatuses);
        Assert.Equal(("Completed", true), (setup.State.Terminated.Reason, setup.Ready));
        Assert.Equal("True", ConditionsOf(status)["Initialized"].Status);
        Assert.Equal("Running", status.Phase);
    }

    [Fact]
    public void AFinishedPodStaysFinished()
    {
        var pod = Pod();
        pod.Status.Phase = "Failed";
        var status = PodStatusBuilder.Build(pod, Snapshot(new ContainerSnapshot("app", RunningInstance(), Ready: true, Started: true)), T0);
        Assert.Equal("Failed", status.Phase);
    }

    [Fact]
    public void ReadinessGateConditionsAreKeptAndCounted()
    {
        var pod = Pod();
        pod.Spec.ReadinessGates = [new V1PodReadinessGate { ConditionType = "example.com/lb" }];
        var snapshot = Snapshot(new ContainerSnapshot("app", RunningInstance(), Ready: true, Started: true));

        var notYet = PodStatusBuilder.Build(pod, snapshot, T0);
        Assert.Equal("ReadinessGatesNotReady", ConditionsOf(notYet)["Ready"].Reason);
        Assert.Equal("True", ConditionsOf(notYet)["ContainersReady"].Status);

        pod.Status.Conditions.Add(new V1PodCondition { Type = "example.com/lb", Status = "True" });
        var ready = PodStatusBuilder.Build(pod, snapshot, T0);
        Assert.Equal("True", ConditionsOf(ready)["Ready"].Status);
        Assert.Equal("True", ConditionsOf(ready)["example.com/lb"].Status);
    }

    [Fact]
    public void AStoppedSandboxKeepsThePodsIp()
    {
        var pod = Pod();
        pod.Status.PodIP = "10.244.1.5";
        pod.Status.PodIPs = [new V1PodIP { Ip = "10.244.1.5" }];
        var status = PodStatusBuilder.Build(pod, new PodRuntimeSnapshot([new ContainerSnapshot("app", ExitedInstance(0))], false, [], []), T0);
        Assert.Equal("10.244.1.5", status.PodIP);
    }
}
