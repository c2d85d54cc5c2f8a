using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Client.Queues;
using Kybernet.Controllers.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Controllers.Jobs;

/// <summary>
/// kube-controller-manager's job controller (batch/v1 Jobs): runs up to spec.parallelism pods at once until
/// spec.completions of them succeed (Indexed mode: until a pod of each index in [0, completions) has, see
/// <see cref="CompletionIndexes"/>), replaces failed ones after a doubling backoff
/// until more than spec.backoffLimit have failed, and fails the job when it has been active for longer than
/// spec.activeDeadlineSeconds. A suspended job has no pods.
/// <para>
/// Counting is upstream's finalizer tracking: every pod carries the batch.kubernetes.io/job-tracking finalizer, so it
/// cannot vanish before it was counted. A pod that ended (Succeeded, Failed, or deleted before it succeeded) goes first
/// into status.uncountedTerminatedPods (written), then loses its finalizer, then moves into status.succeeded/failed
/// (written): a crash between the steps never counts a pod twice or loses it. Pods whose finalizer this controller
/// removed are remembered until the informer shows it gone, so a lagging cache does not count them again.
/// </para>
/// <para>
/// As 1.31+ does, the outcome is first stated by SuccessCriteriaMet or FailureTarget (active pods are then deleted) and
/// the terminal Complete or Failed condition follows once no pod of the job is still running or terminating.
/// </para>
/// </summary>
public sealed class JobController : IController
{
    public const string TrackingFinalizer = "batch.kubernetes.io/job-tracking";
    public const string Component = "job-controller";
    public const string ApiVersion = "batch/v1";
    public const string Kind = "Job";

    private readonly IKubernetes _client;
    private readonly SharedInformer<V1Job> _jobs;
    private readonly SharedInformer<V1Pod> _pods;
    private readonly JobControllerOptions _options;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly Expectations _expectations;
    // Pod uids whose finalizer we removed while the cache may still show it.
    private readonly ConcurrentDictionary<string, byte> _finalizerRemoved = new(StringComparer.Ordinal);
    // When each job last saw a pod fail: its replacements wait for the backoff from there.
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastFailure = new(StringComparer.Ordinal);
    private WorkQueue<string>? _queue;
    private PodControl? _podControl;
    private EventRecorder? _events;

    public JobController(InformerFactory informers, JobControllerOptions? options = null, ILogger? log = null, TimeProvider? time = null)
    {
        _client = informers.Client;
        _jobs = informers.For<V1Job>(ApiResource.Jobs);
        _pods = informers.For<V1Pod>(ApiResource.Pods);
        PodsByController.EnsureIndex(_pods.Cache);
        _options = options ?? new JobControllerOptions();
        _log = log ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _expectations = new Expectations(_time);
    }

    public string Name => "job";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var events = new EventRecorder(_client, Component, _log, _time);
        using var queue = new WorkQueue<string>(new WorkQueueOptions { BaseDelay = _options.RetryInterval, MaxDelay = TimeSpan.FromSeconds(30), Time = _time });
        (_queue, _events, _podControl) = (queue, events, new PodControl(_client, events));
        using var onJob = _jobs.AddHandler(new InformerHandler<V1Job>(
            OnAdd: job => queue.Add(ObjectKey.Of(job)),
            OnUpdate: (_, job) => queue.Add(ObjectKey.Of(job)),
            OnDelete: job => queue.Add(ObjectKey.Of(job))));
        using var onPod = _pods.AddHandler(new InformerHandler<V1Pod>(OnPodAdded, OnPodUpdated, OnPodDeleted));
        await _jobs.WaitForSyncAsync(cancellationToken);
        await _pods.WaitForSyncAsync(cancellationToken);
        foreach (var key in _jobs.Cache.Keys())
            queue.Add(key);
        await QueueWorkers.RunAsync(queue, _options.Workers, ReconcileAsync, _log, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private static string? JobKeyOf(V1Pod pod) =>
        ControllerRefs.ControllerOf(pod.Metadata) is { Kind: Kind, ApiVersion: ApiVersion } owner ? ObjectKey.For(pod.Namespace(), owner.Name) : null;

    private void OnPodAdded(V1Pod pod)
    {
        if (JobKeyOf(pod) is not { } key)
            return;
        _expectations.CreationObserved(key);
        _queue?.Add(key);
    }

    private void OnPodUpdated(V1Pod old, V1Pod pod)
    {
        if (!HasFinalizer(pod))
            _finalizerRemoved.TryRemove(pod.Uid(), out _);
        if (JobKeyOf(old) is { } oldKey && oldKey != JobKeyOf(pod))
            _queue?.Add(oldKey);
        if (JobKeyOf(pod) is not { } key)
            return;
        if (pod.Metadata.DeletionTimestamp is not null && old.Metadata.DeletionTimestamp is null)
            _expectations.DeletionObserved(key, ObjectKey.Of(pod));
        _queue?.Add(key);
    }

    private void OnPodDeleted(V1Pod pod)
    {
        _finalizerRemoved.TryRemove(pod.Uid(), out _);
        if (JobKeyOf(pod) is not { } key)
            return;
        _expectations.DeletionObserved(key, ObjectKey.Of(pod));
        _queue?.Add(key);
    }

    public static bool HasFinalizer(V1Pod pod) => pod.Metadata.Finalizers?.Contains(TrackingFinalizer) == true;

    private async Task ReconcileAsync(string key, CancellationToken ct)
    {
        if (_jobs.Cache.Get(key) is not { } job)
        {
            _expectations.Forget(key);
            _lastFailure.TryRemove(key, out _);
            await ReleaseOrphansAsync(key, ct);
            return;
        }
        var pods = PodsByController.ControlledBy(_pods.Cache, job.Uid());
        if (JobConditions.IsFinished(job) || job.Metadata.DeletionTimestamp is not null)
        {
            // Nothing runs any more (or the job is being deleted): pods still holding our finalizer are let go.
            await RemoveFinalizersAsync(pods.Where(p => HasFinalizer(p) && !_finalizerRemoved.ContainsKey(p.Uid())), ct);
            return;
        }
        if (!_expectations.Satisfied(key))
            return; // the pods we made or deleted are still to show up in the cache; their events bring us back

        var now = _time.GetUtcNow();
        var spec = job.Spec;
        var said = new List<(string Type, string Reason, string Message)>(); // events, told once the status that says so is written
        var status = Clone(job.Status) ?? new V1JobStatus();
        var suspended = spec.Suspend == true;
        var successReached = JobConditions.IsTrue(status, JobConditions.SuccessCriteriaMet);
        var failureReached = JobConditions.IsTrue(status, JobConditions.FailureTarget);

        // 1. Pods that ended and are not counted yet join uncountedTerminatedPods.
        var uncounted = status.UncountedTerminatedPods ??= new V1UncountedTerminatedPods();
        var uncountedSucceeded = new HashSet<string>(uncounted.Succeeded ?? [], StringComparer.Ordinal);
        var uncountedFailed = new HashSet<string>(uncounted.Failed ?? [], StringComparer.Ordinal);
        var released = new List<V1Pod>(); // ended without counting (deleted while suspended or after success)
        var newlyUncounted = 0;
        var newlyFailed = 0;
        foreach (var pod in pods)
        {
            if (!HasFinalizer(pod) || _finalizerRemoved.ContainsKey(pod.Uid()))
                continue;
            if (pod.Status?.Phase == PodState.Succeeded)
                newlyUncounted += uncountedSucceeded.Add(pod.Uid()) ? 1 : 0;
            else if (pod.Status?.Phase == PodState.Failed || (PodState.IsTerminating(pod) && !suspended && !successReached))
            {
                if (uncountedFailed.Add(pod.Uid()))
                    (newlyUncounted, newlyFailed) = (newlyUncounted + 1, newlyFailed + 1);
            }
            else if (PodState.IsTerminating(pod))
                released.Add(pod);
        }
        if (newlyFailed > 0)
            _lastFailure[key] = now;
        var succeeded = (status.Succeeded ?? 0) + uncountedSucceeded.Count;
        var failed = (status.Failed ?? 0) + uncountedFailed.Count;
        var active = pods.Where(PodState.IsActive).ToList();
        // Indexed: what counts is the indexes done (counted, or succeeded and being counted), not the pods.
        var indexed = spec.CompletionMode == "Indexed" && spec.Completions is not null;
        var completedIndexes = CompletionIndexes.Parse(indexed ? status.CompletedIndexes : null);
        var doneIndexes = new SortedSet<int>(completedIndexes);
        if (indexed)
        {
            foreach (var pod in pods.Where(p => uncountedSucceeded.Contains(p.Uid())))
                if (CompletionIndexes.Of(pod) is { } index && index < spec.Completions)
                    doneIndexes.Add(index);
            succeeded = doneIndexes.Count;
        }

        // 2. The outcome, once known, is stated first (SuccessCriteriaMet / FailureTarget); Complete / Failed follow.
        if (!successReached && !failureReached)
        {
            var deadline = spec.ActiveDeadlineSeconds is { } seconds && status.StartTime is { } start && !suspended
                ? new DateTimeOffset(DateTime.SpecifyKind(start, DateTimeKind.Utc)).AddSeconds(seconds) : (DateTimeOffset?)null;
            if (failed > (spec.BackoffLimit ?? 6) || PastBackoffLimitOnFailure(spec, active))
                failureReached = Fail(status, said, JobConditions.BackoffLimitExceeded, JobConditions.BackoffLimitExceededMessage, now);
            else if (deadline <= now)
                failureReached = Fail(status, said, JobConditions.DeadlineExceeded, JobConditions.DeadlineExceededMessage, now);
            else if (spec.Completions is { } completions ? succeeded >= completions : succeeded > 0 && active.Count == 0)
            {
                JobConditions.Set(status, JobConditions.SuccessCriteriaMet, true, JobConditions.CompletionsReached, JobConditions.CompletionsReachedMessage, now.UtcDateTime);
                successReached = true;
            }
            else if (deadline is { } at)
                _queue?.AddAfter(key, at - now + TimeSpan.FromMilliseconds(10));
        }
        var finishing = successReached || failureReached;

        // 3. Suspension, and the clock activeDeadlineSeconds runs on (reset when a suspended job resumes, as upstream).
        if (suspended && !finishing)
        {
            if (JobConditions.Set(status, JobConditions.Suspended, true, "JobSuspended", "Job suspended", now.UtcDateTime))
                said.Add((EventRecorder.Normal, "Suspended", "Job suspended"));
        }
        else if (!suspended)
        {
            if (JobConditions.IsTrue(status, JobConditions.Suspended))
            {
                JobConditions.Set(status, JobConditions.Suspended, false, "JobResumed", "Job resumed", now.UtcDateTime);
                said.Add((EventRecorder.Normal, "Resumed", "Job resumed"));
                status.StartTime = now.UtcDateTime;
            }
            status.StartTime ??= now.UtcDateTime;
        }

        // 4. Pods to start or stop.
        var deleted = 0;
        var created = 0;
        if (finishing || suspended)
            deleted = await DeleteAsync(job, key, active, ct);
        else if (indexed)
            (deleted, created) = await RunIndexesAsync(job, key, active, doneIndexes, failed, now, ct);
        else
        {
            var wanted = spec.Parallelism ?? 1;
            if (spec.Completions is { } completions)
                wanted = Math.Min(wanted, Math.Max(0, completions - succeeded));
            else if (succeeded > 0)
                wanted = active.Count; // one success ends a work queue job: no new pods, the running ones finish
            if (active.Count > wanted)
                deleted = await DeleteAsync(job, key, active.OrderBy(p => PodState.IsReady(p)).ThenByDescending(p => p.Metadata.CreationTimestamp).Take(active.Count - wanted).ToList(), ct);
            var busy = active.Count + (spec.PodReplacementPolicy == "Failed" ? pods.Count(p => PodState.IsTerminating(p) && !PodState.IsFinished(p)) : 0);
            if (busy < wanted)
            {
                var wait = BackoffRemaining(key, failed, now);
                if (wait > TimeSpan.Zero)
                    _queue?.AddAfter(key, wait);
                else
                    created = await CreateAsync(job, key, wanted - busy, ct);
            }
        }

        status.Active = active.Count - deleted + created;
        status.Ready = active.Count(PodState.IsReady);
        status.Terminating = pods.Count(p => PodState.IsTerminating(p) && !PodState.IsFinished(p));
        uncounted.Succeeded = [.. uncountedSucceeded];
        uncounted.Failed = [.. uncountedFailed];

        // 5. Write what was seen ended before any finalizer goes, then let those pods go and count them.
        if (newlyUncounted > 0)
        {
            if (await WriteStatusAsync(job, status, ct) is not { } written)
                return; // our cache is behind: the newer job's event brings us back, and no finalizer went meanwhile
            job = written;
        }
        var toRelease = pods.Where(p => HasFinalizer(p) && !_finalizerRemoved.ContainsKey(p.Uid()) && (uncountedSucceeded.Contains(p.Uid()) || uncountedFailed.Contains(p.Uid()))).Concat(released);
        await RemoveFinalizersAsync(toRelease, ct);
        var stillHeld = pods.Where(p => HasFinalizer(p) && !_finalizerRemoved.ContainsKey(p.Uid())).Select(p => p.Uid()).ToHashSet(StringComparer.Ordinal);
        foreach (var uid in uncountedSucceeded.Where(u => !stillHeld.Contains(u)).ToList())
        {
            uncountedSucceeded.Remove(uid);
            status.Succeeded = (status.Succeeded ?? 0) + 1;
            if (indexed && pods.FirstOrDefault(p => p.Uid() == uid) is { } pod && CompletionIndexes.Of(pod) is { } index && index < spec.Completions)
                completedIndexes.Add(index);
        }
        if (indexed)
        {
            status.Succeeded = completedIndexes.Count;
            status.CompletedIndexes = CompletionIndexes.Format(completedIndexes);
        }
        foreach (var uid in uncountedFailed.Where(u => !stillHeld.Contains(u)).ToList())
        {
            uncountedFailed.Remove(uid);
            status.Failed = (status.Failed ?? 0) + 1;
        }
        uncounted.Succeeded = [.. uncountedSucceeded];
        uncounted.Failed = [.. uncountedFailed];
        status.Succeeded ??= 0;
        status.Failed ??= 0;

        // 6. The terminal condition once every pod has stopped and been counted.
        var running = pods.Any(p => !PodState.IsFinished(p)) || created > 0;
        if (finishing && !running && stillHeld.Count == 0 && uncountedSucceeded.Count == 0 && uncountedFailed.Count == 0)
        {
            if (successReached)
            {
                JobConditions.Set(status, JobConditions.Complete, true, JobConditions.CompletionsReached, JobConditions.CompletionsReachedMessage, now.UtcDateTime);
                status.CompletionTime = now.UtcDateTime;
                said.Add((EventRecorder.Normal, "Completed", "Job completed"));
            }
            else
            {
                var target = JobConditions.Find(status, JobConditions.FailureTarget)!;
                JobConditions.Set(status, JobConditions.Failed, true, target.Reason, target.Message, now.UtcDateTime);
            }
        }
        if (await WriteStatusAsync(job, status, ct) is null)
            return;
        foreach (var (type, reason, message) in said)
            _events!.Record(job, ApiVersion, Kind, type, reason, message);
        if (JobConditions.IsTrue(status, JobConditions.Complete))
            _log.LogInformation("job {Job}: complete ({Succeeded} succeeded)", key, status.Succeeded);
        else if (JobConditions.Find(status, JobConditions.Failed) is { Status: "True" } failure)
            _log.LogInformation("job {Job}: failed, {Reason} ({Failed} failed)", key, failure.Reason, status.Failed);
    }

    /// <summary>
    /// With restartPolicy OnFailure a failing container restarts in its pod instead of failing it: upstream counts the
    /// restarts of the running and pending pods' containers against backoffLimit instead.
    /// </summary>
    private static bool PastBackoffLimitOnFailure(V1JobSpec spec, IEnumerable<V1Pod> active)
    {
        if (spec.Template.Spec?.RestartPolicy != "OnFailure")
            return false;
        var restarts = active.Where(p => p.Status?.Phase is PodState.Running or PodState.Pending)
            .Sum(p => (p.Status.InitContainerStatuses ?? []).Concat(p.Status.ContainerStatuses ?? []).Sum(c => c.RestartCount));
        var limit = spec.BackoffLimit ?? 6;
        return limit == 0 ? restarts > 0 : restarts >= limit;
    }

    private static bool Fail(V1JobStatus status, List<(string, string, string)> said, string reason, string message, DateTimeOffset now)
    {
        JobConditions.Set(status, JobConditions.FailureTarget, true, reason, message, now.UtcDateTime);
        said.Add((EventRecorder.Warning, reason, message));
        return true;
    }

    /// <summary>
    /// Indexed mode: one active pod per index not yet done, lowest indexes first, at most parallelism; pods of an index
    /// done, duplicated, or out of range are deleted.
    /// </summary>
    private async Task<(int Deleted, int Created)> RunIndexesAsync(V1Job job, string key, List<V1Pod> active, SortedSet<int> done, int failed, DateTimeOffset now, CancellationToken ct)
    {
        var completions = job.Spec.Completions!.Value;
        var running = new HashSet<int>();
        var surplus = new List<V1Pod>();
        foreach (var pod in active.OrderBy(p => p.Metadata.CreationTimestamp ?? DateTime.MinValue))
        {
            if (CompletionIndexes.Of(pod) is { } index && index < completions && !done.Contains(index) && running.Add(index))
                continue;
            surplus.Add(pod);
        }
        var wanted = Math.Min(job.Spec.Parallelism ?? 1, completions - done.Count);
        foreach (var pod in active.Except(surplus).OrderByDescending(p => CompletionIndexes.Of(p)).Take(Math.Max(0, running.Count - wanted)).ToList())
        {
            surplus.Add(pod);
            running.Remove(CompletionIndexes.Of(pod)!.Value);
        }
        var deleted = await DeleteAsync(job, key, surplus, ct);
        var missing = Enumerable.Range(0, completions).Where(i => !done.Contains(i) && !running.Contains(i)).Take(wanted - running.Count).ToList();
        if (missing.Count == 0)
            return (deleted, 0);
        var wait = BackoffRemaining(key, failed, now);
        if (wait > TimeSpan.Zero)
        {
            _queue?.AddAfter(key, wait);
            return (deleted, 0);
        }
        return (deleted, await CreateAsync(job, key, missing.Count, ct, missing));
    }

    // Upstream's pod failure backoff: 10 s after the first failure, doubling, at most 6 min, from the last failure seen.
    private TimeSpan BackoffRemaining(string key, int failed, DateTimeOffset now)
    {
        if (failed == 0 || !_lastFailure.TryGetValue(key, out var last))
            return TimeSpan.Zero;
        var delay = _options.PodFailureBackoff * Math.Pow(2, Math.Min(failed - 1, 30));
        if (delay > _options.MaxPodFailureBackoff)
            delay = _options.MaxPodFailureBackoff;
        return last + delay - now;
    }

    private async Task<int> CreateAsync(V1Job job, string key, int count, CancellationToken ct, IReadOnlyList<int>? indexes = null)
    {
        _expectations.ExpectCreations(key, count);
        var attempts = Enumerable.Range(0, count).Select(async n =>
        {
            try
            {
                var index = indexes?[n];
                await _podControl!.CreateAsync(job, ApiVersion, Kind, job.Spec.Template, pod =>
                {
                    (pod.Metadata.Finalizers ??= []).Add(TrackingFinalizer);
                    if (index is { } i)
                        CompletionIndexes.Assign(pod, job.Name(), i);
                }, generateName: index is { } i ? $"{job.Name()}-{i}-" : null, ct: ct);
                return true;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _expectations.CreationObserved(key); // it will never be seen
                _log.LogWarning("job {Job}: creating a pod failed: {Error}", key, KubeClient.Describe(e));
                return false;
            }
        }).ToList();
        var results = await Task.WhenAll(attempts);
        var made = results.Count(ok => ok);
        if (made < count)
            throw new InvalidOperationException($"job {key}: {count - made} of {count} pods could not be created");
        return made;
    }

    private async Task<int> DeleteAsync(V1Job job, string key, IReadOnlyList<V1Pod> pods, CancellationToken ct)
    {
        if (pods.Count == 0)
            return 0;
        _expectations.ExpectDeletions(key, pods.Select(ObjectKey.Of));
        var deleted = 0;
        foreach (var pod in pods)
        {
            try
            {
                if (!await _podControl!.DeleteAsync(job, ApiVersion, Kind, pod, ct))
                    _expectations.DeletionObserved(key, ObjectKey.Of(pod));
                deleted++;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _expectations.DeletionObserved(key, ObjectKey.Of(pod));
                _log.LogWarning("job {Job}: deleting pod {Pod} failed: {Error}", key, pod.Name(), KubeClient.Describe(e));
                throw;
            }
        }
        return deleted;
    }

    private async Task RemoveFinalizersAsync(IEnumerable<V1Pod> pods, CancellationToken ct)
    {
        var patch = new V1Patch(new Dictionary<string, object>
        {
            ["metadata"] = new Dictionary<string, object> { ["$deleteFromPrimitiveList/finalizers"] = new[] { TrackingFinalizer } },
        }, V1Patch.PatchType.StrategicMergePatch);
        foreach (var pod in pods)
        {
            try
            {
                await _client.CoreV1.PatchNamespacedPodAsync(patch, pod.Name(), pod.Namespace(), cancellationToken: ct);
                _finalizerRemoved[pod.Uid()] = 0;
            }
            catch (Exception e) when (KubeClient.IsNotFound(e))
            {
                _finalizerRemoved.TryRemove(pod.Uid(), out _);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _log.LogWarning("pod {Namespace}/{Pod}: removing finalizer {Finalizer} failed: {Error}", pod.Namespace(), pod.Name(), TrackingFinalizer, KubeClient.Describe(e));
                throw;
            }
        }
    }

    // The job is gone: its pods that still hold our finalizer are let go (the garbage collector deletes them, or not).
    private async Task ReleaseOrphansAsync(string key, CancellationToken ct)
    {
        var (ns, name) = ObjectKey.Split(key);
        var orphans = _pods.Cache.ByIndex(InformerCache<V1Pod>.NamespaceIndex, ns ?? "")
            .Where(p => HasFinalizer(p) && !_finalizerRemoved.ContainsKey(p.Uid()) && ControllerRefs.ControllerOf(p.Metadata) is { Kind: Kind } owner && owner.Name == name);
        await RemoveFinalizersAsync(orphans.ToList(), ct);
    }

    /// <summary>Writes the status (unless unchanged); null when the job changed since our cache saw it (409).</summary>
    private async Task<V1Job?> WriteStatusAsync(V1Job job, V1JobStatus status, CancellationToken ct)
    {
        if (KubernetesJson.Serialize(status) == KubernetesJson.Serialize(job.Status ?? new V1JobStatus()))
            return job;
        var next = Clone(job)!;
        next.ApiVersion = ApiVersion;
        next.Kind = Kind;
        next.Status = Clone(status);
        try
        {
            return await _client.BatchV1.ReplaceNamespacedJobStatusAsync(next, job.Name(), job.Namespace(), cancellationToken: ct);
        }
        catch (Exception e) when (KubeClient.IsConflict(e))
        {
            // Decided on a copy older than the job (often our own last write not yet seen): decide again from the newer one.
            _log.LogDebug("job {Namespace}/{Name}: status not written, the job changed meanwhile", job.Namespace(), job.Name());
            return null;
        }
    }

    private static T? Clone<T>(T? value) where T : class => value is null ? null : KubernetesJson.Deserialize<T>(KubernetesJson.Serialize(value));
}
