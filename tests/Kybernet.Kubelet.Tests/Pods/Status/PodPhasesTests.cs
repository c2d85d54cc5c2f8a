using k8s.Models;
using Kybernet.Kubelet.Pods.Status;
using static Kybernet.Kubelet.Tests.Pods.Status.Statuses;

namespace Kybernet.Kubelet.Tests.Pods.Status;

/// <summary>Pod phase for every restart policy, with init containers and sidecars (upstream's getPhase).</summary>
public sealed class PodPhasesTests
{
    public static TheoryData<string, string, V1PodSpec, V1ContainerStatus[], bool> Cases => new()
    {
        { "nothing created yet", "Pending", Spec("Always", ["a"]), [], false },
        { "waiting to start", "Pending", Spec("Always", ["a"]), [Waiting("a")], false },
        { "running", "Running", Spec("Always", ["a"]), [Running("a")], false },
        { "one running one waiting", "Pending", Spec("Always", ["a", "b"]), [Running("a"), Waiting("b")], false },
        { "one running one unknown", "Pending", Spec("Always", ["a", "b"]), [Running("a")], false },
        { "Always: exited 0 restarts", "Running", Spec("Always", ["a"]), [Exited("a", 0)], false },
        { "Always: crash looping", "Running", Spec("Always", ["a"]), [Restarting("a", 1)], false },
        { "OnFailure: exited 0", "Succeeded", Spec("OnFailure", ["a"]), [Exited("a", 0)], false },
        { "OnFailure: exited 1 restarts", "Running", Spec("OnFailure", ["a"]), [Exited("a", 1)], false },
        { "OnFailure: one done one running", "Running", Spec("OnFailure", ["a", "b"]), [Exited("a", 0), Running("b")], false },
        { "Never: exited 0", "Succeeded", Spec("Never", ["a", "b"]), [Exited("a", 0), Exited("b", 0)], false },
        { "Never: one failed", "Failed", Spec("Never", ["a", "b"]), [Exited("a", 0), Exited("b", 2)], false },
        { "Never: one failed one running", "Running", Spec("Never", ["a", "b"]), [Exited("a", 1), Running("b")], false },
        { "terminal pod, all exited 0", "Succeeded", Spec("Always", ["a"]), [Exited("a", 0)], true },
        { "terminal pod, one failed", "Failed", Spec("Always", ["a", "b"]), [Exited("a", 0), Exited("b", 137)], true },
        { "init not started", "Pending", Spec("Always", ["a"], init: ["i"]), [Waiting("i"), Waiting("a")], false },
        { "init running", "Pending", Spec("Always", ["a"], init: ["i"]), [Running("i"), Waiting("a")], false },
        { "init done, app running", "Running", Spec("Always", ["a"], init: ["i"]), [Exited("i", 0), Running("a")], false },
        { "Never: init failed", "Failed", Spec("Never", ["a"], init: ["i"]), [Exited("i", 1), Waiting("a")], false },
        { "Never: init failed, waiting to retry", "Failed", Spec("Never", ["a"], init: ["i"]), [Restarting("i", 1), Waiting("a")], false },
        { "OnFailure: init failed retries", "Pending", Spec("OnFailure", ["a"], init: ["i"]), [Restarting("i", 1), Waiting("a")], false },
        { "Always: second init pending", "Pending", Spec("Always", ["a"], init: ["i1", "i2"]), [Exited("i1", 0), Running("i2"), Waiting("a")], false },
        { "sidecar starting", "Pending", Spec("Always", ["a"], sidecars: ["s"]), [Running("s", started: false), Waiting("a")], false },
        { "sidecar started, app running", "Running", Spec("Always", ["a"], sidecars: ["s"]), [Running("s"), Running("a")], false },
        { "sidecar restarting after app ran", "Running", Spec("Always", ["a"], sidecars: ["s"]), [Running("s", started: false), Running("a")], false },
        { "Never: app done, sidecar stopped", "Succeeded", Spec("Never", ["a"], sidecars: ["s"]), [Exited("s", 137), Exited("a", 0)], false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void PhaseIsUpstreams(string why, string phase, V1PodSpec spec, V1ContainerStatus[] statuses, bool podIsTerminal) =>
        Assert.True(phase == PodPhases.Of(spec, statuses, podIsTerminal), $"{why}: expected {phase}, got {PodPhases.Of(spec, statuses, podIsTerminal)}");
}
