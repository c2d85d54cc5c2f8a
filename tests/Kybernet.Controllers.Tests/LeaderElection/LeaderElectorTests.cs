using k8s;
using k8s.Models;
using Kybernet.Controllers.LeaderElection;
using Microsoft.Extensions.Logging.Testing;

namespace Kybernet.Controllers.Tests.LeaderElection;

/// <summary>Leader election on the Lease kube-system/kube-controller-manager of a real API server, with short durations.</summary>
public sealed class LeaderElectorTests : IAsyncLifetime
{
    private TestApiServer _server = null!;

    public async Task InitializeAsync() => _server = await TestApiServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary>3 s leases renewed every 0.3 s: a takeover within a few seconds.</summary>
    private static LeaderElectionOptions Short(string identity) => new()
    {
        Identity = identity,
        LeaseDuration = TimeSpan.FromSeconds(3),
        RenewDeadline = TimeSpan.FromSeconds(2),
        RetryPeriod = TimeSpan.FromMilliseconds(300),
    };

    /// <summary>An elector campaigning in the background; its work counts how often it started and whether it runs.</summary>
    private sealed class Candidate : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new(); // never disposed: it holds no timer
        private readonly Task _run;
        private int _running;

        public Candidate(IKubernetes client, LeaderElectionOptions options, FakeLogCollector log)
        {
            Elector = new LeaderElector(client, options, new FakeLogger(log));
            _run = Elector.RunAsync(async ct =>
            {
                Interlocked.Increment(ref Started);
                Interlocked.Increment(ref _running);
                try { await Task.Delay(Timeout.Infinite, ct); }
                finally { Interlocked.Decrement(ref _running); }
            }, _stop.Token);
        }

        public LeaderElector Elector { get; }
        public int Started;
        public bool Running => Volatile.Read(ref _running) > 0;

        /// <summary>Stops campaigning without handing the lease back, as a crash would leave it.</summary>
        public async ValueTask DisposeAsync()
        {
            if (_stop.IsCancellationRequested)
                return; // disposed already (the test's own, before the using's)
            await _stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _run);
            Assert.False(Running);
        }
    }

    private Task<V1Lease> Lease() => _server.Client.CoordinationV1.ReadNamespacedLeaseAsync("kube-controller-manager", "kube-system");

    [Fact]
    public async Task One_of_two_candidates_leads_and_the_other_takes_over_within_the_lease_duration_when_it_dies()
    {
        var log = new FakeLogCollector();
        await using var a = new Candidate(_server.NewClient(asControllerManager: true), Short("a"), log);
        await using var b = new Candidate(_server.NewClient(asControllerManager: true), Short("b"), log);
        await TestApiServer.Eventually(() => Task.FromResult(a.Running || b.Running), "one of them leads");
        var (leader, other) = a.Running ? (a, b) : (b, a);
        await Task.Delay(1000); // a few renewals: the other must not start meanwhile
        Assert.True(leader.Running);
        Assert.False(other.Running);
        Assert.Equal(0, other.Started);
        var held = await Lease();
        Assert.Equal(leader.Elector.Identity, held.Spec.HolderIdentity);
        Assert.Equal(3, held.Spec.LeaseDurationSeconds);
        Assert.Equal(0, held.Spec.LeaseTransitions);
        Assert.NotNull(held.Spec.AcquireTime);
        Assert.True(held.Spec.RenewTime > held.Spec.AcquireTime, "renewed since acquired");

        await leader.DisposeAsync(); // no release: the lease stays in the dead leader's name until it expires
        Assert.Equal(leader.Elector.Identity, (await Lease()).Spec.HolderIdentity);
        await TestApiServer.Eventually(() => Task.FromResult(other.Running), "the other takes over");
        var taken = await Lease();
        Assert.Equal(other.Elector.Identity, taken.Spec.HolderIdentity);
        Assert.Equal(1, taken.Spec.LeaseTransitions);
        Assert.True(taken.Spec.AcquireTime > held.Spec.AcquireTime);
        Assert.Contains($"{other.Elector.Identity}: became leader (lease kube-system/kube-controller-manager): starting the controllers", log.Text());
    }

    [Fact]
    public async Task A_leader_that_loses_its_lease_stops_its_work_at_once_and_starts_again_when_it_wins_it_back()
    {
        var log = new FakeLogCollector();
        await using var candidate = new Candidate(_server.NewClient(asControllerManager: true), Short("me"), log);
        await TestApiServer.Eventually(() => Task.FromResult(candidate.Running), "it leads");

        // Someone else writes itself in as holder (as a leader elected elsewhere would) and keeps renewing for a while.
        using var intruding = new CancellationTokenSource();
        var intruder = Task.Run(async () =>
        {
            while (!intruding.IsCancellationRequested)
            {
                var lease = await Lease();
                lease.Spec.HolderIdentity = "intruder";
                lease.Spec.RenewTime = DateTime.UtcNow;
                try { await _server.Client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, "kube-controller-manager", "kube-system"); }
                catch (k8s.Autorest.HttpOperationException e) when ((int)e.Response.StatusCode == 409) { continue; }
                await Task.Delay(200);
            }
        });
        await TestApiServer.Eventually(() => Task.FromResult(!candidate.Running), "its work stops when it sees another holder");
        Assert.False(candidate.Elector.IsLeading);
        Assert.Contains("me: lost the lease kube-system/kube-controller-manager (intruder holds it now): controllers stopped, campaigning again", log.Text());

        await intruding.CancelAsync();
        await intruder;
        await TestApiServer.Eventually(() => Task.FromResult(candidate.Running), "it wins the lease back once the intruder's expires");
        Assert.Equal(2, candidate.Started);
        Assert.Equal("me", (await Lease()).Spec.HolderIdentity);
    }

    [Fact]
    public void Durations_must_be_ordered_as_upstream_requires()
    {
        var e = Assert.Throws<ArgumentException>(() => new LeaderElectionOptions { LeaseDuration = TimeSpan.FromSeconds(5), RenewDeadline = TimeSpan.FromSeconds(10) }.Validate());
        Assert.Equal("the leader election lease duration (5 s) must be longer than the renew deadline (10 s)", e.Message);
        Assert.Throws<ArgumentException>(() => new LeaderElectionOptions { RetryPeriod = TimeSpan.FromSeconds(10) }.Validate());
        new LeaderElectionOptions().Validate();
        Assert.Matches(@"^.+_[0-9a-f]{8}-[0-9a-f]{4}-", LeaderElectionOptions.NewIdentity());
    }
}
