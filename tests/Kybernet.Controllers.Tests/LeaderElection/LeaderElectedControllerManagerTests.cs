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
        var b = Start("manager-b", logB);
        try
        {
            await TestApiServer.Eventually(() => Task.FromResult(a.Elector.IsLeading || b.Elector.IsLeading), "one leads");
            var (leader, leaderLog, other, otherLog) = a.Elector.IsLeading ? (a, logA, b, logB) : (b, logB, a, logA);
            await _server.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "first" } });
            await TestApiServer.Eventually(() => HasDefaultAccount("first"), "the leader's serviceaccount controller acts");
            Assert.Contains("serviceaccount: started", leaderLog.Text());
            Assert.DoesNotContain("started", otherLog.Text());
            Assert.False(other.Elector.IsLeading);

            // The leader goes without handing the lease back (as a crash): the other waits for it to expire, then leads.
            await leader.DisposeAsync();
            await TestApiServer.Eventually(() => Task.FromResult(other.Elector.IsLeading), "the other takes over");
            await _server.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "second" } });
            await TestApiServer.Eventually(() => HasDefaultAccount("second"), "the new leader's serviceaccount controller acts");
            Assert.Contains("serviceaccount: started", otherLog.Text());
            Assert.Equal(other.Elector.Identity, (await _server.Client.CoordinationV1.ReadNamespacedLeaseAsync("kube-controller-manager", "kube-system")).Spec.HolderIdentity);
        }
        finally
        {
            await a.DisposeAsync();
            await b.DisposeAsync();
        }
    }
}
