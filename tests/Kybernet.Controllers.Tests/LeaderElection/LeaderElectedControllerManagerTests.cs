using k8s;
using k8s.Models;
using Kybernet.Controllers.LeaderElection;
using Microsoft.Extensions.Logging.Testing;

namespace Kybernet.Controllers.Tests.LeaderElection;

/// <summary>Two whole controller managers on one API server: only the lease holder's controllers act.</summary>
public sealed class LeaderElectedControllerManagerTests : IAsyncLifetime
{
    private TestApiServer _server = null!;

    public async Task InitializeAsync() => _server = await TestApiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private LeaderElectedControllerManager Start(string identity, FakeLogCollector log) =>
        LeaderElectedControllerManager.Start(_server.NewClient(asControllerManager: true), new ControllerManagerOptions
        {
            Loggers = new FakeLoggerProvider(log).AsFactory(),
            AllocateNodeCidrs = false,
        }, new LeaderElectionOptions
        {
            Identity = identity,
            LeaseDuration = TimeSpan.FromSeconds(3),
            RenewDeadline = TimeSpan.FromSeconds(2),
            RetryPeriod = TimeSpan.FromMilliseconds(300),
        });

    private async Task<bool> HasDefaultAccount(string ns)
    {
        try
        {
            await _server.Client.CoreV1.ReadNamespacedServiceAccountAsync("default", ns);
            return true;
        }
        catch (k8s.Autorest.HttpOperationException e) when ((int)e.Response.StatusCode == 404)
        {
            return false;
        }
    }

    [Fact]
    public async Task Only_the_leaders_controllers_run_and_the_other_manager_takes_over_when_the_leader_dies()
    {
        var (logA, logB) = (new FakeLogCollector(), new FakeLogCollector());
        var a = Start("manager-a", logA);
        await using var b = Start("manager-b", logB);
        await using (a)
        {
            await TestApiServer.Eventually(() => Task.FromResult(a.Elector.IsLeading || b.Elector.IsLeading), "one leads");
            Assert.True(a.Elector.IsLeading, "the first to start wins"); // b starts 3 s late at best: the lease is a's
            await _server.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "first" } });
            await TestApiServer.Eventually(() => HasDefaultAccount("first"), "the leader's serviceaccount controller acts");
            Assert.Contains("serviceaccount: started", logA.Text());
            Assert.DoesNotContain("started", logB.Text());
            Assert.False(b.Elector.IsLeading);
        }
        // a is gone without handing the lease back (as a crash): b waits for it to expire, then runs the controllers.
        await TestApiServer.Eventually(() => Task.FromResult(b.Elector.IsLeading), "b takes over");
        await _server.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "second" } });
        await TestApiServer.Eventually(() => HasDefaultAccount("second"), "the new leader's serviceaccount controller acts");
        Assert.Contains("serviceaccount: started", logB.Text());
        Assert.Equal("manager-b", (await _server.Client.CoordinationV1.ReadNamespacedLeaseAsync("kube-controller-manager", "kube-system")).Spec.HolderIdentity);
    }
}
