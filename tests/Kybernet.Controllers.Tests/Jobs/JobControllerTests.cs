using k8s;
using k8s.Models;
using Kybernet.Controllers.Common;
using Kybernet.Controllers.GarbageCollection;
using Kybernet.Controllers.Jobs;

namespace Kybernet.Controllers.Tests.Jobs;

/// <summary>
/// The Job and ttl-after-finished controllers against a real API server and the real kubectl. No nodes: the test plays
/// the kubelet by writing the pods' phase, and deleted pods go at once (nothing runs them).
/// </summary>
public sealed class JobControllerTests : IAsyncLifetime
{
    private const string Ns = "default";
    private TestApiServer _server = null!;
    private RunningController _jobs = null!;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _jobs = new RunningController(_server, (informers, log) =>
            new JobController(informers, new JobControllerOptions { PodFailureBackoff = TimeSpan.FromMilliseconds(100) }, log));
    }

    public async Task DisposeAsync()
    {
        await _jobs.DisposeAsync();
        await _server.DisposeAsync();
    }

    private IKubernetes Client => _server.Client;

    private static string JobYaml(string name, string spec) => $"""
        apiVersion: batch/v1
        kind: Job
        metadata:
          name: {name}
        spec:
        {spec}
          template:
            spec:
              restartPolicy: Never
              containers:
              - name: main
                image: busybox
        """;

    private async Task<IList<V1Pod>> PodsOf(string job) =>
        (await Client.CoreV1.ListNamespacedPodAsync(Ns, labelSelector: $"batch.kubernetes.io/job-name={job}")).Items;

    private Task<V1Job> Job(string name) => Client.BatchV1.ReadNamespacedJobAsync(name, Ns);

    private Task SetPhase(V1Pod pod, string phase) =>
        Client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(new { status = new { phase } }, V1Patch.PatchType.MergePatch), pod.Name(), Ns);

    private static bool Has(V1Job job, string type, string? reason = null) =>
        job.Status?.Conditions?.Any(c => c.Type == type && c.Status == "True" && (reason is null || c.Reason == reason)) == true;

    [Fact]
    public async Task Kubectl_create_job_runs_one_labelled_tracked_pod_and_completes_when_it_succeeds()
    {
        _server.Kubectl.Ok("create", "job", "hello", "--image=busybox");
        var job = await Job("hello");
        await TestApiServer.Eventually(async () => (await PodsOf("hello")).Count == 1, "one pod");
        var pod = (await PodsOf("hello")).Single();
        Assert.Equal(job.Uid(), pod.Metadata.Labels["batch.kubernetes.io/controller-uid"]);
        Assert.Equal(job.Uid(), ControllerRefs.ControllerOf(pod.Metadata)!.Uid);
        Assert.Contains(JobController.TrackingFinalizer, pod.Metadata.Finalizers);
        await TestApiServer.Eventually(async () => (await Job("hello")).Status?.Active == 1 && (await Job("hello")).Status?.StartTime is not null, "status.active 1, startTime set");

        await SetPhase(pod, PodState.Succeeded);
        _server.Kubectl.Ok("wait", "--for=condition=complete", "job/hello", "--timeout=20s");
        job = await Job("hello");
        Assert.Equal(1, job.Status.Succeeded);
        Assert.Equal(0, job.Status.Active);
        Assert.NotNull(job.Status.CompletionTime);
        Assert.True(Has(job, JobConditions.SuccessCriteriaMet, JobConditions.CompletionsReached));
        Assert.Empty(job.Status.UncountedTerminatedPods?.Succeeded ?? []);
        // The finished pod stays (for its logs) but no longer holds the tracking finalizer.
        var done = Assert.Single(await PodsOf("hello"));
        Assert.DoesNotContain(JobController.TrackingFinalizer, done.Metadata.Finalizers ?? []);
    }

    [Fact]
    public async Task Completions_3_parallelism_2_never_runs_more_than_2_and_completes_after_3_successes()
    {
        _server.Kubectl.OkWith(JobYaml("work", "  completions: 3\n  parallelism: 2"), "create", "-f", "-");
        var succeeded = 0;
        while (succeeded < 3)
        {
            IList<V1Pod> active = [];
            await TestApiServer.Eventually(async () =>
            {
                active = [.. (await PodsOf("work")).Where(PodState.IsActive)];
                Assert.True(active.Count <= 2, $"{active.Count} pods active at once");
                return active.Count == Math.Min(2, 3 - succeeded);
            }, $"{Math.Min(2, 3 - succeeded)} active pods after {succeeded} succeeded");
            await SetPhase(active.OrderBy(p => p.Name()).First(), PodState.Succeeded);
            succeeded++;
            await TestApiServer.Eventually(async () => (await Job("work")).Status?.Succeeded == succeeded, $"status.succeeded {succeeded}");
        }
        _server.Kubectl.Ok("wait", "--for=condition=complete", "job/work", "--timeout=20s");
        var job = await Job("work");
        Assert.Equal(3, job.Status.Succeeded);
        Assert.Equal(0, job.Status.Failed);
        Assert.Equal(3, (await PodsOf("work")).Count);
        Assert.Contains("Complete", _server.Kubectl.Ok("get", "job", "work"));
    }

    [Fact]
    public async Task On_hollow_nodes_pods_are_scheduled_and_run_and_a_deadline_ends_them_gracefully()
    {
        await using var scheduler = new RunningController(_server, (informers, log) => new Kybernet.Controllers.Scheduler.PodScheduler(informers, new Kybernet.Controllers.Scheduler.SchedulerOptions(), log));
        await using var nodes = await HollowNodes.StartAsync(_server, count: 2, new HollowNodeOptions { ReadyAtOnce = true });
        _server.Kubectl.OkWith(JobYaml("batch", "  completions: 2\n  parallelism: 2"), "create", "-f", "-");
        IList<V1Pod> pods = [];
        await TestApiServer.Eventually(async () => (pods = await PodsOf("batch")).Count == 2 && pods.All(p => p.Status?.Phase == "Running"), "two pods bound and running");
        await TestApiServer.Eventually(async () => (await Job("batch")).Status?.Ready == 2, "status.ready 2");
        foreach (var pod in pods)
            await nodes.FinishAsync(Ns, pod.Name(), succeeded: true);
        _server.Kubectl.Ok("wait", "--for=condition=complete", "job/batch", "--timeout=20s");

        // A deadline on running pods: they are deleted gracefully (the hollow kubelet ends them), then the job fails.
        _server.Kubectl.OkWith(JobYaml("late", "  activeDeadlineSeconds: 2"), "create", "-f", "-");
        await TestApiServer.Eventually(async () => (await PodsOf("late")) is [{ Status.Phase: "Running" }], "its pod runs");
        _server.Kubectl.Ok("wait", "--for=condition=failed", "job/late", "--timeout=20s");
        Assert.True(Has(await Job("late"), JobConditions.Failed, JobConditions.DeadlineExceeded));
        Assert.Empty(await PodsOf("late"));
    }

    [Fact]
    public async Task More_failures_than_backoffLimit_fail_the_job_with_BackoffLimitExceeded()
    {
        _server.Kubectl.OkWith(JobYaml("flaky", "  backoffLimit: 1"), "create", "-f", "-");
        for (var failures = 1; failures <= 2; failures++)
        {
            V1Pod? running = null;
            await TestApiServer.Eventually(async () => (running = (await PodsOf("flaky")).FirstOrDefault(PodState.IsActive)) is not null, $"a pod to run (attempt {failures})");
            await SetPhase(running!, PodState.Failed);
        }
        _server.Kubectl.Ok("wait", "--for=condition=failed", "job/flaky", "--timeout=20s");
        var job = await Job("flaky");
        Assert.Equal(2, job.Status.Failed);
        Assert.True(Has(job, JobConditions.Failed, JobConditions.BackoffLimitExceeded));
        Assert.True(Has(job, JobConditions.FailureTarget, JobConditions.BackoffLimitExceeded));
        Assert.Equal("Job has reached the specified backoff limit", job.Status.Conditions.Single(c => c.Type == JobConditions.Failed).Message);
        Assert.Equal(2, (await PodsOf("flaky")).Count);
        await TestApiServer.Eventually(async () => (await Client.CoreV1.ListNamespacedEventAsync(Ns)).Items.Any(e => e.Reason == "BackoffLimitExceeded" && e.InvolvedObject.Name == "flaky"), "a BackoffLimitExceeded event");
    }

    [Fact]
    public async Task With_restartPolicy_OnFailure_container_restarts_count_against_backoffLimit()
    {
        _server.Kubectl.OkWith(JobYaml("restarts", "  backoffLimit: 2").Replace("restartPolicy: Never", "restartPolicy: OnFailure"), "create", "-f", "-");
        V1Pod? pod = null;
        await TestApiServer.Eventually(async () => (pod = (await PodsOf("restarts")).FirstOrDefault()) is not null, "a pod");
        await Client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(new
        {
            status = new { phase = "Running", containerStatuses = new[] { new { name = "main", image = "busybox", imageID = "", ready = false, restartCount = 2 } } },
        }, V1Patch.PatchType.MergePatch), pod!.Name(), Ns);
        _server.Kubectl.Ok("wait", "--for=condition=failed", "job/restarts", "--timeout=20s");
        Assert.True(Has(await Job("restarts"), JobConditions.Failed, JobConditions.BackoffLimitExceeded));
    }

    [Fact]
    public async Task A_job_active_longer_than_activeDeadlineSeconds_fails_with_DeadlineExceeded_and_its_pods_are_deleted()
    {
        _server.Kubectl.OkWith(JobYaml("slow", "  activeDeadlineSeconds: 2\n  parallelism: 2\n  completions: 4"), "create", "-f", "-");
        await TestApiServer.Eventually(async () => (await PodsOf("slow")).Count(PodState.IsActive) == 2, "two pods run");
        _server.Kubectl.Ok("wait", "--for=condition=failed", "job/slow", "--timeout=20s");
        var job = await Job("slow");
        Assert.True(Has(job, JobConditions.Failed, JobConditions.DeadlineExceeded));
        Assert.Equal("Job was active longer than specified deadline", job.Status.Conditions.Single(c => c.Type == JobConditions.Failed).Message);
        Assert.Equal(0, job.Status.Active);
        Assert.Empty(await PodsOf("slow")); // deleted (nothing ran them, so they went at once)
        Assert.Equal(2, job.Status.Failed); // pods stopped before they succeeded count as failed, as upstream
    }

    [Fact]
    public async Task An_indexed_job_runs_each_index_once_to_success_replacing_a_failed_index()
    {
        _server.Kubectl.OkWith(JobYaml("shards", "  completionMode: Indexed\n  completions: 3\n  parallelism: 3"), "create", "-f", "-");
        IList<V1Pod> pods = [];
        await TestApiServer.Eventually(async () => (pods = await PodsOf("shards")).Count == 3, "a pod per index");
        V1Pod ByIndex(string index) => pods.Single(p => p.Metadata.Annotations[CompletionIndexes.Key] == index && PodState.IsActive(p));
        foreach (var index in new[] { "0", "1", "2" })
        {
            var pod = ByIndex(index);
            Assert.Equal(index, pod.Metadata.Labels[CompletionIndexes.Key]);
            Assert.Equal($"shards-{index}", pod.Spec.Hostname);
            Assert.StartsWith($"shards-{index}-", pod.Name());
            Assert.Contains(pod.Spec.Containers[0].Env, e => e.Name == "JOB_COMPLETION_INDEX" && e.ValueFrom.FieldRef.FieldPath == $"metadata.annotations['{CompletionIndexes.Key}']");
        }
        await SetPhase(ByIndex("1"), PodState.Succeeded);
        await TestApiServer.Eventually(async () => (await Job("shards")).Status?.CompletedIndexes == "1", "completedIndexes 1");
        var failing = ByIndex("0");
        await SetPhase(failing, PodState.Failed);
        await TestApiServer.Eventually(async () => (pods = await PodsOf("shards")).Any(p => PodState.IsActive(p) && p.Metadata.Annotations[CompletionIndexes.Key] == "0" && p.Uid() != failing.Uid()), "index 0 runs again");
        await SetPhase(ByIndex("0"), PodState.Succeeded);
        await SetPhase(ByIndex("2"), PodState.Succeeded);
        _server.Kubectl.Ok("wait", "--for=condition=complete", "job/shards", "--timeout=20s");
        var job = await Job("shards");
        Assert.Equal("0-2", job.Status.CompletedIndexes);
        Assert.Equal(3, job.Status.Succeeded);
        Assert.Equal(1, job.Status.Failed);
    }

    [Fact]
    public async Task A_suspended_job_runs_no_pods_until_resumed()
    {
        _server.Kubectl.OkWith(JobYaml("later", "  suspend: true"), "create", "-f", "-");
        await TestApiServer.Eventually(async () => Has(await Job("later"), JobConditions.Suspended), "the Suspended condition");
        Assert.Empty(await PodsOf("later"));
        Assert.Null((await Job("later")).Status.StartTime);
        _server.Kubectl.Ok("patch", "job", "later", "--type=merge", "-p", """{"spec":{"suspend":false}}""");
        await TestApiServer.Eventually(async () => (await PodsOf("later")).Count == 1, "a pod once resumed");
        await TestApiServer.Eventually(async () => (await Job("later")).Status?.Conditions?.Single(c => c.Type == JobConditions.Suspended) is { Status: "False", Reason: "JobResumed" }, "Suspended False, JobResumed");
    }

    [Fact]
    public async Task TtlSecondsAfterFinished_deletes_the_finished_job_and_its_pods()
    {
        await using var ttl = new RunningController(_server, (informers, log) => new TtlAfterFinishedController(informers, log));
        await using var collector = new RunningController(_server, (informers, log) => new GarbageCollector(informers, log: log));
        _server.Kubectl.OkWith(JobYaml("brief", "  ttlSecondsAfterFinished: 1"), "create", "-f", "-");
        V1Pod? pod = null;
        await TestApiServer.Eventually(async () => (pod = (await PodsOf("brief")).FirstOrDefault()) is not null, "a pod");
        await SetPhase(pod!, PodState.Succeeded);
        await TestApiServer.Eventually(async () => (await Client.BatchV1.ListNamespacedJobAsync(Ns)).Items.All(j => j.Name() != "brief"), "the job is deleted");
        await TestApiServer.Eventually(async () => (await PodsOf("brief")).Count == 0, "its pod went with it");
        Assert.Contains("job default/brief: deleted, 1 s after it finished", ttl.Log);
    }
}
