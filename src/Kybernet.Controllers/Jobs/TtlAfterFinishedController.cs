using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Client.Queues;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Controllers.Jobs;

/// <summary>
/// kube-controller-manager's ttl-after-finished controller: a Job with spec.ttlSecondsAfterFinished is deleted that
/// many seconds after it finished (its Complete or Failed condition), in the foreground, so its pods go first. Before
/// deleting it reads the job again from the API (the cache may be stale: someone may have changed the TTL) and deletes
/// with that uid and resourceVersion as preconditions.
/// </summary>
public sealed class TtlAfterFinishedController : IController
{
    private readonly IKubernetes _client;
    private readonly SharedInformer<V1Job> _jobs;
    private readonly ILogger _log;
    private readonly TimeProvider _time;

    public TtlAfterFinishedController(InformerFactory informers, ILogger? log = null, TimeProvider? time = null)
    {
        _client = informers.Client;
        _jobs = informers.For<V1Job>(ApiResource.Jobs);
        _log = log ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
    }

    public string Name => "ttl-after-finished";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var queue = new WorkQueue<string>(new WorkQueueOptions { BaseDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(30), Time = _time });
        using var onJob = _jobs.AddHandler(new InformerHandler<V1Job>(
            OnAdd: job => Enqueue(queue, job),
            OnUpdate: (_, job) => Enqueue(queue, job)));
        await _jobs.WaitForSyncAsync(cancellationToken);
        await QueueWorkers.RunAsync(queue, workers: 1, (key, ct) => ReconcileAsync(queue, key, ct), _log, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private static bool Due(V1Job job) =>
        job.Spec?.TtlSecondsAfterFinished is not null && job.Metadata.DeletionTimestamp is null && JobConditions.FinishedAt(job) is not null;

    private static void Enqueue(WorkQueue<string> queue, V1Job job)
    {
        if (Due(job))
            queue.Add(ObjectKey.Of(job));
    }

    private DateTimeOffset ExpiresAt(V1Job job) => JobConditions.FinishedAt(job)!.Value.AddSeconds(job.Spec.TtlSecondsAfterFinished!.Value);

    private async Task ReconcileAsync(WorkQueue<string> queue, string key, CancellationToken ct)
    {
        if (_jobs.Cache.Get(key) is not { } cached || !Due(cached))
            return;
        var now = _time.GetUtcNow();
        if (ExpiresAt(cached) > now)
        {
            queue.AddAfter(key, ExpiresAt(cached) - now);
            return;
        }
        V1Job job;
        try
        {
            job = await _client.BatchV1.ReadNamespacedJobAsync(cached.Name(), cached.Namespace(), cancellationToken: ct);
        }
        catch (Exception e) when (KubeClient.IsNotFound(e))
        {
            return;
        }
        if (!Due(job))
            return;
        if (ExpiresAt(job) > now)
        {
            queue.AddAfter(key, ExpiresAt(job) - now);
            return;
        }
        try
        {
            await _client.BatchV1.DeleteNamespacedJobAsync(job.Name(), job.Namespace(), new V1DeleteOptions
            {
                PropagationPolicy = "Foreground",
                Preconditions = new V1Preconditions { Uid = job.Uid(), ResourceVersion = job.ResourceVersion() },
            }, cancellationToken: ct);
            _log.LogInformation("job {Job}: deleted, {Ttl} s after it finished", key, job.Spec.TtlSecondsAfterFinished);
        }
        catch (Exception e) when (KubeClient.IsNotFound(e))
        {
            // Deleted meanwhile.
        }
        catch (Exception e) when (KubeClient.IsConflict(e))
        {
            // Changed since we read it: look again.
            queue.AddRateLimited(key);
        }
    }
}
