using k8s.Models;
using Kybernet.Kubelet.Cri;
using Kybernet.Kubelet.Cri.V1;
using Kybernet.Kubelet.Pods.Env;
using Kybernet.Kubelet.Pods.Probes;
using Kybernet.Kubelet.Pods.Volumes;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Pods;

/// <summary>
/// One pass of a pod's worker (upstream's SyncPod with computePodActions): reads what the runtime holds for the pod,
/// compares it with the spec, and does the next step: a sandbox if there is none ready, then the init containers one at
/// a time in order, then every app container that should run and does not (restartPolicy and back-off permitting), and
/// restarts those whose spec changed or whose liveness probe failed. Level-triggered: it keeps no memory of earlier
/// passes but the waiting reasons, so running it again changes nothing, and a restarted kubelet picks up where the
/// runtime stands. Returns how soon it wants to run again (a back-off ending), or null.
/// </summary>
public sealed class PodSync(PodSyncContext ctx, ContainerWaits waits)
{
    private ILogger Log => ctx.Log;

    private string Describe(V1Pod pod) => $"{pod.Metadata.NamespaceProperty}/{pod.Metadata.Name}";

    public async Task<TimeSpan?> RunAsync(V1Pod pod, CancellationToken ct)
    {
        var state = await PodRuntimeState.ReadAsync(ctx.Runtime, pod.Metadata.Uid, ct);
        if (pod.Status?.Phase is "Succeeded" or "Failed")
        {
            // Finished for good: nothing runs again; what still runs (a sandbox) stops.
            await StopAllAsync(pod, state, graceSeconds: 0, ct);
            return null;
        }

        var sandbox = state.ReadySandbox;
        if (sandbox is null)
        {
            if (IsDone(pod, state))
            {
                await ctx.Status.WriteAsync(pod, state, waits, IsDone(pod, state), ct);
                return null;
            }
            if (!await StartSandboxAsync(pod, state, ct))
            {
                await ctx.Status.WriteAsync(pod, state, waits, IsDone(pod, state), ct);
                return TimeSpan.FromSeconds(10);
            }
            state = await PodRuntimeState.ReadAsync(ctx.Runtime, pod.Metadata.Uid, ct);
            sandbox = state.ReadySandbox;
            if (sandbox is null)
                return TimeSpan.FromSeconds(1);
        }
        var sandboxConfig = SandboxConfigs.For(pod, sandbox.Metadata.Attempt, ctx.Sandboxes, ctx.Setup.Dns(pod));
        var podIp = pod.Spec.HostNetwork == true ? null : sandbox.Network?.Ip;

        try
        {
            ctx.Setup.Refresh(pod, podIp);
        }
        catch (VolumeSetUpException e)
        {
            ctx.Events.Warning(pod, "FailedMount", e.Message);
        }
        var next = await SyncContainersAsync(pod, state, sandbox.Id, sandboxConfig, podIp, ct);
        state = await PodRuntimeState.ReadAsync(ctx.Runtime, pod.Metadata.Uid, ct);
        ctx.Probes.Track(pod, pod.Spec.Containers.Concat(pod.Spec.InitContainers ?? [])
            .Select(c => (c.Name, RuntimeInstances.Of(state.Latest(c.Name), ctx.RuntimeName))), podIp);
        await ctx.Status.WriteAsync(pod, state, waits, IsDone(pod, state), ct);
        return next;
    }

    /// <summary>
    /// The pod will not run again: restartPolicy Never (or OnFailure with every container succeeded) and every
    /// container has run and exited. Its sandbox is not recreated (upstream: a pod that ran to completion stays so).
    /// </summary>
    private static bool IsDone(V1Pod pod, PodRuntimeState state)
    {
        var policy = pod.Spec.RestartPolicy ?? "Always";
        if (policy == "Always" || state.Sandboxes.Count == 0)
            return false;
        return pod.Spec.Containers.All(c => state.Latest(c.Name) is { State: ContainerState.ContainerExited } last &&
                                             (policy == "Never" || last.ExitCode == 0));
    }

    private async Task<bool> StartSandboxAsync(V1Pod pod, PodRuntimeState state, CancellationToken ct)
    {
        // Anything of an earlier sandbox (its pause died, the node rebooted) goes first: a pod has one sandbox at a time.
        await StopAllAsync(pod, state, graceSeconds: 0, ct);
        var config = SandboxConfigs.For(pod, state.NextSandboxAttempt, ctx.Sandboxes, ctx.Setup.Dns(pod));
        Directory.CreateDirectory(config.LogDirectory);
        try
        {
            var id = await ctx.Runtime.RunSandboxAsync(config, ct);
            waits.SandboxError = null;
            Log.LogInformation("pod {Pod}: sandbox {Sandbox} (attempt {Attempt}) is up", Describe(pod), Short(id), config.Metadata.Attempt);
            return true;
        }
        catch (CriException e)
        {
            waits.SandboxError = e.RuntimeMessage;
            Log.LogWarning("pod {Pod}: cannot create its sandbox: {Error}", Describe(pod), e.Message);
            ctx.Events.Warning(pod, "FailedCreatePodSandBox", $"Failed to create pod sandbox: {e.RuntimeMessage}");
            return false;
        }
    }

    private async Task<TimeSpan?> SyncContainersAsync(V1Pod pod, PodRuntimeState state, string sandboxId, PodSandboxConfig sandboxConfig, string? podIp, CancellationToken ct)
    {
        var policy = pod.Spec.RestartPolicy ?? "Always";
        // Init containers, one at a time, in order: each must succeed before the next starts, and all before the app's.
        foreach (var init in pod.Spec.InitContainers ?? [])
        {
            var last = state.Latest(init.Name);
            if (last is null)
                return await StartAsync(pod, init, init: true, attempt: 0, sandboxId, sandboxConfig, podIp, ct);
            if (last.State is ContainerState.ContainerRunning or ContainerState.ContainerCreated)
                return null; // its exit is the next event
            if (last.State == ContainerState.ContainerExited && last.ExitCode == 0)
                continue;
            if (policy == "Never")
                return null; // the pod has failed: its status says so
            if (BackingOff(pod, init.Name, last) is { } wait)
                return wait;
            return await StartAsync(pod, init, init: true, last.Metadata.Attempt + 1, sandboxId, sandboxConfig, podIp, ct);
        }

        TimeSpan? soonest = null;
        foreach (var container in pod.Spec.Containers)
        {
            var last = state.Latest(container.Name);
            TimeSpan? next;
            if (last is null)
                next = await StartAsync(pod, container, init: false, attempt: 0, sandboxId, sandboxConfig, podIp, ct);
            else if (last.State == ContainerState.ContainerRunning)
                next = await CheckRunningAsync(pod, container, last, ct);
            else if (last.State == ContainerState.ContainerCreated)
                next = await StartCreatedAsync(pod, container, last, ct);
            else if (ShouldRestart(policy, last))
                next = BackingOff(pod, container.Name, last) is { } wait
                    ? wait
                    : await StartAsync(pod, container, init: false, last.Metadata.Attempt + 1, sandboxId, sandboxConfig, podIp, ct);
            else
                next = null;
            if (next is { } n && (soonest is null || n < soonest))
                soonest = n;
        }
        return soonest;
    }

    private static bool ShouldRestart(string policy, ContainerStatus last) =>
        policy == "Always" || (policy == "OnFailure" && last.ExitCode != 0);

    /// <summary>Null: the exited container may start again now; else CrashLoopBackOff, for that long (events and status say so).</summary>
    private TimeSpan? BackingOff(V1Pod pod, string container, ContainerStatus last)
    {
        var decision = ctx.BackOff.TryStart(pod.Metadata.Name, pod.Metadata.NamespaceProperty, pod.Metadata.Uid, container, Time(last.FinishedAt));
        if (decision.MayStart)
            return null;
        if (waits.Of(container)?.Reason != BackOffDecision.WaitingReason && decision.EventMessage is not null)
            ctx.Events.Warning(pod, BackOffDecision.EventReason, decision.EventMessage);
        waits.Set(container, BackOffDecision.WaitingReason, decision.Message ?? "");
        return decision.Remaining;
    }

    /// <summary>A running container whose spec changed, or that failed its liveness probe, is restarted (upstream's wording).</summary>
    private async Task<TimeSpan?> CheckRunningAsync(V1Pod pod, V1Container container, ContainerStatus running, CancellationToken ct)
    {
        string? why = null;
        if (running.Annotations.TryGetValue(RuntimeLabels.ContainerHash, out var hash) && hash != ContainerHash.Of(container))
            why = $"Container {container.Name} definition changed, will be restarted";
        else if (ctx.Probes.MustRestart(RuntimeInstances.ApiId(ctx.RuntimeName, running.Id)))
            why = (container.StartupProbe is not null && !ctx.Probes.ReadyAndStarted(pod.Metadata.Uid, container.Name, RuntimeInstances.Of(running, ctx.RuntimeName)).Started
                ? ProbeKind.Startup
                : ProbeKind.Liveness).RestartMessage(container.Name);
        if (why is null)
            return null;
        ctx.Events.Normal(pod, "Killing", why);
        Log.LogInformation("pod {Pod}: {Why}", Describe(pod), why);
        await StopContainerAsync(pod, container, running.Id, GraceSeconds(pod), ct);
        return TimeSpan.Zero; // the next pass starts it again (back-off permitting)
    }

    /// <summary>Created but not started (the kubelet stopped between the two calls): start it now.</summary>
    private async Task<TimeSpan?> StartCreatedAsync(V1Pod pod, V1Container container, ContainerStatus created, CancellationToken ct)
    {
        try
        {
            await ctx.Runtime.StartContainerAsync(created.Id, ct);
            ctx.Events.Normal(pod, "Started", $"Started container {container.Name}");
            waits.Clear(container.Name);
        }
        catch (CriException e)
        {
            Failed(pod, container.Name, "RunContainerError", e.RuntimeMessage);
            await ctx.Runtime.RemoveContainerAsync(created.Id, ct);
        }
        return null;
    }

    private async Task<TimeSpan?> StartAsync(V1Pod pod, V1Container container, bool init, uint attempt, string sandboxId, PodSandboxConfig sandboxConfig, string? podIp, CancellationToken ct)
    {
        var image = await EnsureImageAsync(pod, container, sandboxConfig, ct);
        if (image is null)
            return TimeSpan.FromSeconds(10);
        IReadOnlyDictionary<string, PodVolume> volumes;
        try
        {
            volumes = ctx.Setup.SetUp(pod, podIp);
        }
        catch (VolumeSetUpException e)
        {
            // Upstream's FailedMount: the pod stays ContainerCreating and the volume is tried again.
            waits.Set(container.Name, "ContainerCreating", e.Message);
            ctx.Events.Warning(pod, "FailedMount", e.Message);
            return TimeSpan.FromSeconds(5);
        }
        IReadOnlyList<ContainerEnvVar> environment;
        IReadOnlyList<ContainerMount> mounts;
        try
        {
            environment = ctx.Setup.Environment(pod, container, podIp);
            mounts = ctx.Setup.Mounts(pod, container, volumes, environment);
        }
        catch (ContainerConfigException e)
        {
            Failed(pod, container.Name, "CreateContainerConfigError", e.Message);
            return TimeSpan.FromSeconds(10);
        }
        var config = ContainerConfigs.For(pod, container, init, attempt, image, environment, mounts);
        Directory.CreateDirectory(Path.Combine(sandboxConfig.LogDirectory, container.Name));
        string id;
        try
        {
            id = await ctx.Runtime.CreateContainerAsync(sandboxId, config, sandboxConfig, ct);
        }
        catch (CriException e)
        {
            Failed(pod, container.Name, "CreateContainerError", e.RuntimeMessage);
            return TimeSpan.FromSeconds(10);
        }
        ctx.Events.Normal(pod, "Created", $"Created container {container.Name}");
        try
        {
            await ctx.Runtime.StartContainerAsync(id, ct);
        }
        catch (CriException e)
        {
            // It exists but never ran: the runtime reports it exited with the start error, and back-off governs the retry.
            Failed(pod, container.Name, "RunContainerError", e.RuntimeMessage);
            return TimeSpan.FromSeconds(1);
        }
        ctx.Events.Normal(pod, "Started", $"Started container {container.Name}");
        waits.Clear(container.Name);
        Log.LogInformation("pod {Pod}: container {Container} {Id} started (restart {Attempt})", Describe(pod), container.Name, Short(id), attempt);
        return null;
    }

    private void Failed(V1Pod pod, string container, string reason, string message)
    {
        waits.Set(container, reason, message);
        ctx.Events.Warning(pod, "Failed", $"Error: {message}");
        Log.LogWarning("pod {Pod}: container {Container}: {Reason}: {Message}", Describe(pod), container, reason, message);
    }

    /// <summary>
    /// The image, by imagePullPolicy: Never uses only what is present, IfNotPresent pulls when missing, Always pulls
    /// every start. No registry is reachable from a lab, so when an Always pull fails and the image is present, the
    /// present one is used (with a warning event): the lab's images are imported, not pulled. Returns the reference to
    /// create the container from, or null (status ErrImagePull / ImagePullBackOff / ErrImageNeverPull, retried).
    /// </summary>
    private async Task<string?> EnsureImageAsync(V1Pod pod, V1Container container, PodSandboxConfig sandboxConfig, CancellationToken ct)
    {
        var image = container.Image;
        var policy = container.ImagePullPolicy ?? ImagePolicy.Default(image);
        var present = await ctx.Runtime.ImageAsync(image, ct);
        if (present is not null && policy != "Always")
        {
            if (waits.Of(container.Name)?.Reason is not ("ErrImagePull" or "ImagePullBackOff"))
                ctx.Events.Normal(pod, "Pulled", $"Container image \"{image}\" already present on machine");
            return image;
        }
        if (present is null && policy == "Never")
        {
            Failed(pod, container.Name, "ErrImageNeverPull", $"Container image \"{image}\" is not present with pull policy of Never");
            return null;
        }
        if (waits.Of(container.Name)?.Reason is "ErrImagePull" or "ImagePullBackOff")
        {
            // The last pull failed: back off (upstream's ImagePullBackOff) and try again at the next pass.
            waits.Set(container.Name, "ImagePullBackOff", $"Back-off pulling image \"{image}\"");
            ctx.Events.Normal(pod, "BackOff", $"Back-off pulling image \"{image}\"");
        }
        ctx.Events.Normal(pod, "Pulling", $"Pulling image \"{image}\"");
        var started = ctx.Time.GetTimestamp();
        try
        {
            await ctx.Runtime.PullImageAsync(image, sandboxConfig, ct);
            ctx.Events.Normal(pod, "Pulled", $"Successfully pulled image \"{image}\" in {ctx.Time.GetElapsedTime(started).TotalSeconds:0.###}s");
            return image;
        }
        catch (CriException e) when (present is not null)
        {
            ctx.Events.Warning(pod, "Failed", $"Failed to pull image \"{image}\": {e.RuntimeMessage}; using the image already present on the node");
            return image;
        }
        catch (CriException e)
        {
            waits.Set(container.Name, "ErrImagePull", e.RuntimeMessage);
            ctx.Events.Warning(pod, "Failed", $"Failed to pull image \"{image}\": {e.RuntimeMessage}");
            ctx.Events.Warning(pod, "Failed", "Error: ErrImagePull");
            return null;
        }
    }

    /// <summary>
    /// The pod is being deleted, or ran to completion: every running container gets its preStop hook and SIGTERM,
    /// SIGKILL after the grace period (all containers at once, sharing one deadline), then the sandbox stops.
    /// </summary>
    public async Task StopAllAsync(V1Pod pod, PodRuntimeState state, long graceSeconds, CancellationToken ct)
    {
        var stops = state.Running.Select(c =>
        {
            var spec = pod.Spec.Containers.Concat(pod.Spec.InitContainers ?? []).FirstOrDefault(s => s.Name == c.Metadata.Name);
            return StopContainerAsync(pod, spec, c.Id, graceSeconds, ct);
        });
        await Task.WhenAll(stops);
        foreach (var sandbox in state.Sandboxes.Where(s => s.State == PodSandboxState.SandboxReady))
            await ctx.Runtime.StopSandboxAsync(sandbox.Id, ct);
    }

    /// <summary>preStop (bounded by the grace period), then SIGTERM and SIGKILL after what is left of it.</summary>
    private async Task StopContainerAsync(V1Pod pod, V1Container? spec, string id, long graceSeconds, CancellationToken ct)
    {
        var name = spec?.Name ?? id;
        ctx.Events.Normal(pod, "Killing", $"Stopping container {name}");
        var started = ctx.Time.GetTimestamp();
        if (spec is not null && graceSeconds > 0 && await ctx.PreStop.RunAsync(pod, spec, id, TimeSpan.FromSeconds(graceSeconds), ct) is { } failure)
        {
            Log.LogWarning("pod {Pod}: {Failure}", Describe(pod), failure);
            ctx.Events.Warning(pod, "FailedPreStopHook", failure);
        }
        var left = Math.Max(0, graceSeconds - (long)ctx.Time.GetElapsedTime(started).TotalSeconds);
        try
        {
            await ctx.Runtime.StopContainerAsync(id, left, ct);
        }
        catch (CriException e) when (e.Code == Grpc.Core.StatusCode.NotFound)
        {
            return; // gone already
        }
        // How it ended tells whether it heeded SIGTERM (its own exit code) or was killed when the grace ran out (137).
        if (await ctx.Runtime.ContainerStatusAsync(id, ct) is { } stopped)
            Log.LogInformation("pod {Pod}: container {Container} stopped with exit code {ExitCode} ({Reason}), grace period {Grace} s",
                Describe(pod), name, stopped.ExitCode, stopped.Reason, graceSeconds);
    }

    /// <summary>The deletion's grace period (kubectl delete --grace-period), else the spec's, else 30 s.</summary>
    public static long GraceSeconds(V1Pod pod) => pod.Metadata.DeletionGracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds ?? 30;

    private static DateTimeOffset Time(long unixNanoseconds) => RuntimeInstances.Time(unixNanoseconds) ?? DateTimeOffset.UnixEpoch;

    private static string Short(string id) => id.Length > 13 ? id[..13] : id;
}
