using Kybernet.Kubelet.Pods;
using Microsoft.Extensions.Time.Testing;

namespace Kybernet.Kubelet.Tests.Pods;

/// <summary>Restart back-off: immediate first restart, then 10 s doubling to 5 min, reset after 10 min of running.</summary>
public sealed class CrashLoopBackOffTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void TheWaitDoublesFromTenSecondsToFiveMinutes()
    {
        var backOff = new CrashLoopBackOff(_time);
        Assert.True(backOff.TryStart("web", "default", "uid-1", "app", _time.GetUtcNow()).MayStart);

        var waits = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            // It crashes right away each time.
            var exited = _time.GetUtcNow();
            var refused = backOff.TryStart("web", "default", "uid-1", "app", exited);
            Assert.False(refused.MayStart);
            Assert.Equal(refused.Period, refused.Remaining);
            waits.Add(refused.Message!);
            _time.Advance(refused.Period - TimeSpan.FromSeconds(1));
            Assert.False(backOff.TryStart("web", "default", "uid-1", "app", exited).MayStart);
            _time.Advance(TimeSpan.FromSeconds(1));
            Assert.True(backOff.TryStart("web", "default", "uid-1", "app", exited).MayStart);
        }
        Assert.Equal(
            ["10s", "20s", "40s", "1m20s", "2m40s", "5m0s", "5m0s", "5m0s"],
            waits.Select(m => m.Split(' ')[1]));
        Assert.Equal("back-off 5m0s restarting failed container=app pod=web_default(uid-1)", waits[^1]);
    }

    [Fact]
    public void TheEventIsWordedAsUpstream()
    {
        var backOff = new CrashLoopBackOff(_time);
        backOff.TryStart("web", "default", "uid-1", "app", _time.GetUtcNow());
        var refused = backOff.TryStart("web", "default", "uid-1", "app", _time.GetUtcNow());
        Assert.Equal("Back-off restarting failed container app in pod web_default(uid-1)", refused.EventMessage);
        Assert.Equal(TimeSpan.FromSeconds(10), refused.Remaining);
    }

    [Fact]
    public void ItResetsOnceTheContainerRanTenMinutes()
    {
        var backOff = new CrashLoopBackOff(_time);
        Assert.True(backOff.TryStart("web", "default", "uid-1", "app", _time.GetUtcNow()).MayStart);
        for (var i = 0; i < 3; i++)
        {
            // Crashes at once, waits out its back-off, is started again.
            var exited = _time.GetUtcNow();
            _time.Advance(backOff.Period("uid-1", "app"));
            Assert.True(backOff.TryStart("web", "default", "uid-1", "app", exited).MayStart);
        }
        Assert.Equal(TimeSpan.FromSeconds(80), backOff.Period("uid-1", "app"));

        // This time it runs a little over 10 minutes before exiting: the restart is immediate and the wait is 10 s again.
        _time.Advance(TimeSpan.FromMinutes(10) + TimeSpan.FromSeconds(1));
        Assert.True(backOff.TryStart("web", "default", "uid-1", "app", _time.GetUtcNow()).MayStart);
        Assert.Equal(TimeSpan.FromSeconds(10), backOff.Period("uid-1", "app"));
    }

    [Fact]
    public void ItDoesNotResetBeforeTenMinutes()
    {
        var backOff = new CrashLoopBackOff(_time);
        backOff.TryStart("web", "default", "uid-1", "app", _time.GetUtcNow());
        _time.Advance(TimeSpan.FromMinutes(9));
        Assert.True(backOff.TryStart("web", "default", "uid-1", "app", _time.GetUtcNow().AddSeconds(-10)).MayStart);
        Assert.Equal(TimeSpan.FromSeconds(20), backOff.Period("uid-1", "app"));
    }

    [Fact]
    public void ContainersAndPodsBackOffApart()
    {
        var backOff = new CrashLoopBackOff(_time);
        var now = _time.GetUtcNow();
        backOff.TryStart("web", "default", "uid-1", "app", now);
        Assert.False(backOff.TryStart("web", "default", "uid-1", "app", now).MayStart);
        Assert.True(backOff.TryStart("web", "default", "uid-1", "sidecar", now).MayStart);
        Assert.True(backOff.TryStart("web", "default", "uid-2", "app", now).MayStart);

        backOff.Forget("uid-1");
        Assert.True(backOff.TryStart("web", "default", "uid-1", "app", now).MayStart);
    }

    [Theory]
    [InlineData(0, "0s")]
    [InlineData(10, "10s")]
    [InlineData(80, "1m20s")]
    [InlineData(300, "5m0s")]
    [InlineData(3600, "1h0m0s")]
    [InlineData(3725, "1h2m5s")]
    public void DurationsReadAsGoWritesThem(int seconds, string expected) =>
        Assert.Equal(expected, GoDuration.Format(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void SubSecondDurationsReadAsGoWritesThem()
    {
        Assert.Equal("1.5s", GoDuration.Format(TimeSpan.FromMilliseconds(1500)));
        Assert.Equal("250ms", GoDuration.Format(TimeSpan.FromMilliseconds(250)));
    }
}
