using Kybernet.Kubelet.Cri.V1;
using Kybernet.Kubelet.Node;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Kybernet.Kubelet.Tests.Node;

public sealed class RuntimeHealthTests
{
    private static StatusResponse Status(bool runtimeReady, bool networkReady) => new()
    {
        Status = new RuntimeStatus
        {
            Conditions =
            {
                new RuntimeCondition { Type = "RuntimeReady", Status = runtimeReady },
                new RuntimeCondition { Type = "NetworkReady", Status = networkReady, Reason = "NetworkPluginNotReady", Message = "cni config uninitialized" },
            },
        },
    };

    [Fact]
    public void A_false_condition_counts_at_once_in_upstreams_words()
    {
        var health = new RuntimeHealth(new FakeTimeProvider(), NullLogger.Instance);
        Assert.Empty(health.Answered(Status(true, true)));
        Assert.Equal(["container runtime network not ready: NetworkReady=False reason:NetworkPluginNotReady message:cni config uninitialized"],
            health.Answered(Status(true, false)));
    }

    [Fact]
    public void A_silent_runtime_is_down_only_after_30_seconds_without_an_answer()
    {
        var time = new FakeTimeProvider();
        var health = new RuntimeHealth(time, NullLogger.Instance);
        time.Advance(TimeSpan.FromSeconds(29));
        Assert.Empty(health.Unanswered("connection refused"));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["container runtime is down: connection refused"], health.Unanswered("connection refused"));

        // An answer starts the count again: a restart that takes a few seconds never shows.
        Assert.Empty(health.Answered(Status(true, true)));
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(health.Unanswered("connection refused"));
    }
}
