using k8s;
using k8s.Models;

namespace Kybernet.Controllers.Tests.Deployments;

/// <summary>
/// Plays the ReplicaSet controller for tests that need only ReplicaSets: every 50 ms, each ReplicaSet in the namespace
/// gets the status its spec asks for (all replicas present, and ready and available unless <see cref="Unavailable"/>
/// says otherwise), with observedGeneration current. Records the smallest availability and largest total seen.
/// </summary>
internal sealed class FakeReplicaSets : IAsyncDisposable
{
    private readonly IKubernetes _client;
    private readonly string _namespace;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public FakeReplicaSets(IKubernetes client, string ns = "default")
    {
        _client = client;
        _namespace = ns;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>ReplicaSets whose replicas never become ready .</summary>
    public Func<V1ReplicaSet, bool> Unavailable { get; set; } = _ => false;

    /// <summary>A ReplicaFailure condition to report for a ReplicaSet (null: none), as when its pods cannot be created.</summary>
    public Func<V1ReplicaSet, V1ReplicaSetCondition?> Failure { get; set; } = _ => null;

    public async Task SettleOnceAsync()
    {
        var sets = await _client.AppsV1.ListNamespacedReplicaSetAsync(_namespace);
        foreach (var rs in sets.Items)
        {
            var replicas = rs.Spec.Replicas ?? 1;
            var available = Unavailable(rs) ? 0 : replicas;
            var failure = Failure(rs);
            var status = rs.Status;
            if (status?.Replicas == replicas && (status.AvailableReplicas ?? 0) == available && status.ObservedGeneration == rs.Metadata.Generation &&
                status.Conditions?.FirstOrDefault()?.Reason == failure?.Reason)
                continue;
            rs.Status = new V1ReplicaSetStatus
            {
                Replicas = replicas,
                FullyLabeledReplicas = replicas,
                ReadyReplicas = available,
                AvailableReplicas = available,
                ObservedGeneration = rs.Metadata.Generation,
                Conditions = failure is null ? null : [failure],
            };
            try
            {
                await _client.AppsV1.ReplaceNamespacedReplicaSetStatusAsync(rs, rs.Metadata.Name, _namespace);
            }
            catch (k8s.Autorest.HttpOperationException e) when ((int)e.Response.StatusCode is 404 or 409)
            {
                // Changed or gone meanwhile: the next round sees it as it is.
            }
        }
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await SettleOnceAsync();
                await Task.Delay(50, _stop.Token);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
