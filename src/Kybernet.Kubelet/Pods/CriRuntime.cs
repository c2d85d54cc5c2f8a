using Kybernet.Kubelet.Cri;
using Kybernet.Kubelet.Cri.V1;

namespace Kybernet.Kubelet.Pods;

/// <summary>
/// The calls the pod workers make to the runtime, over <see cref="CriConnection"/> (deadlines; a failure is a
/// <see cref="CriException"/> carrying the runtime's own message, which users see in events and status). Pulls and
/// sandbox starts (which run CNI) get a long deadline, the rest the connection's.
/// </summary>
public sealed class CriRuntime(CriConnection cri)
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(4);

    public CriConnection Connection => cri;

    public async Task<IReadOnlyList<PodSandbox>> ListSandboxesAsync(string? podUid, CancellationToken ct)
    {
        var filter = new PodSandboxFilter();
        if (podUid is not null)
            filter.LabelSelector[RuntimeLabels.PodUid] = podUid;
        return (await cri.CallAsync("ListPodSandbox", o => cri.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest { Filter = filter }, o), cancel: ct)).Items;
    }

    public async Task<IReadOnlyList<Container>> ListContainersAsync(string? podUid, CancellationToken ct)
    {
        var filter = new ContainerFilter();
        if (podUid is not null)
            filter.LabelSelector[RuntimeLabels.PodUid] = podUid;
        return (await cri.CallAsync("ListContainers", o => cri.Runtime.ListContainersAsync(new ListContainersRequest { Filter = filter }, o), cancel: ct)).Containers;
    }

    /// <summary>The sandbox's status; null if it is gone meanwhile.</summary>
    public async Task<PodSandboxStatus?> SandboxStatusAsync(string id, CancellationToken ct)
    {
        try
        {
            return (await cri.CallAsync("PodSandboxStatus", o => cri.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = id }, o), cancel: ct)).Status;
        }
        catch (CriException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    /// <summary>The sandbox's status and the runtime's verbose details (its pid, its namespaces' paths); null if it is gone.</summary>
    public async Task<PodSandboxStatusResponse?> SandboxDetailsAsync(string id, CancellationToken ct)
    {
        try
        {
            return await cri.CallAsync("PodSandboxStatus", o => cri.Runtime.PodSandboxStatusAsync(new PodSandboxStatusRequest { PodSandboxId = id, Verbose = true }, o), cancel: ct);
        }
        catch (CriException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    /// <summary>The container's status; null if it is gone meanwhile.</summary>
    public async Task<ContainerStatus?> ContainerStatusAsync(string id, CancellationToken ct)
    {
        try
        {
            return (await cri.CallAsync("ContainerStatus", o => cri.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = id }, o), cancel: ct)).Status;
        }
        catch (CriException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    /// <summary>The host pid of the container's (or sandbox's) first process, from the runtime's verbose status; null if unknown or gone.</summary>
    public async Task<int?> ContainerPidAsync(string id, CancellationToken ct)
    {
        try
        {
            var answer = await cri.CallAsync("ContainerStatus", o => cri.Runtime.ContainerStatusAsync(new ContainerStatusRequest { ContainerId = id, Verbose = true }, o), cancel: ct);
            return Pid(VerboseInfo(answer.Info));
        }
        catch (CriException e) when (e.IsNotFound)
        {
            return null;
        }
    }

    public async Task<string> RunSandboxAsync(PodSandboxConfig config, CancellationToken ct) =>
        (await cri.CallAsync("RunPodSandbox", o => cri.Runtime.RunPodSandboxAsync(new RunPodSandboxRequest { Config = config }, o), Long, ct)).PodSandboxId;

    public Task StopSandboxAsync(string id, CancellationToken ct) =>
        cri.CallAsync("StopPodSandbox", o => cri.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = id }, o), Long, ct);

    public async Task RemoveSandboxAsync(string id, CancellationToken ct)
    {
        try
        {
            await cri.CallAsync("RemovePodSandbox", o => cri.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = id }, o), Long, ct);
        }
        catch (CriException e) when (e.IsNotFound)
        {
            // Gone already: what removal wanted.
        }
    }

    public async Task<string> CreateContainerAsync(string sandboxId, ContainerConfig config, PodSandboxConfig sandbox, CancellationToken ct) =>
        (await cri.CallAsync("CreateContainer", o => cri.Runtime.CreateContainerAsync(new CreateContainerRequest { PodSandboxId = sandboxId, Config = config, SandboxConfig = sandbox }, o), Long, ct)).ContainerId;

    public Task StartContainerAsync(string id, CancellationToken ct) =>
        cri.CallAsync("StartContainer", o => cri.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id }, o), Long, ct);

    /// <summary>SIGTERM (or the image's stop signal), SIGKILL after <paramref name="graceSeconds"/>: the runtime does both.</summary>
    public Task StopContainerAsync(string id, long graceSeconds, CancellationToken ct) =>
        cri.CallAsync("StopContainer", o => cri.Runtime.StopContainerAsync(new StopContainerRequest { ContainerId = id, Timeout = graceSeconds }, o),
            TimeSpan.FromSeconds(graceSeconds) + cri.Timeout, ct);

    public async Task RemoveContainerAsync(string id, CancellationToken ct)
    {
        try
        {
            await cri.CallAsync("RemoveContainer", o => cri.Runtime.RemoveContainerAsync(new RemoveContainerRequest { ContainerId = id }, o), cancel: ct);
        }
        catch (CriException e) when (e.IsNotFound)
        {
            // Gone already.
        }
    }

    /// <summary>Runs a command in the container to its end (probes, preStop hooks).</summary>
    public Task<ExecSyncResponse> ExecSyncAsync(string id, IEnumerable<string> command, TimeSpan timeout, CancellationToken ct)
    {
        var request = new ExecSyncRequest { ContainerId = id, Timeout = (long)Math.Ceiling(timeout.TotalSeconds) };
        request.Cmd.Add(command);
        return cri.CallAsync("ExecSync", o => cri.Runtime.ExecSyncAsync(request, o), timeout + cri.Timeout, ct);
    }

    /// <summary>The runtime's verbose details of a sandbox or container (containerd: the JSON under "info"), or null.</summary>
    public static System.Text.Json.Nodes.JsonObject? VerboseInfo(IDictionary<string, string> info) =>
        info.TryGetValue("info", out var text) ? System.Text.Json.Nodes.JsonNode.Parse(text) as System.Text.Json.Nodes.JsonObject : null;

    /// <summary>The host pid those details name, or null.</summary>
    public static int? Pid(System.Text.Json.Nodes.JsonObject? info) =>
        info?["pid"] is System.Text.Json.Nodes.JsonValue p && p.TryGetValue<int>(out var pid) && pid > 0 ? pid : null;

    /// <summary>A URL on the runtime's streaming server where a SPDY upgrade runs the command (kubectl exec).</summary>
    public async Task<string> ExecAsync(string containerId, IEnumerable<string> command, bool tty, bool stdin, bool stdout, bool stderr, CancellationToken ct)
    {
        var request = new ExecRequest { ContainerId = containerId, Tty = tty, Stdin = stdin, Stdout = stdout, Stderr = stderr };
        request.Cmd.Add(command);
        return (await cri.CallAsync("Exec", o => cri.Runtime.ExecAsync(request, o), cancel: ct)).Url;
    }

    /// <summary>A URL on the runtime's streaming server joining the container's own stdio (kubectl attach).</summary>
    public async Task<string> AttachAsync(string containerId, bool tty, bool stdin, bool stdout, bool stderr, CancellationToken ct) =>
        (await cri.CallAsync("Attach", o => cri.Runtime.AttachAsync(new AttachRequest { ContainerId = containerId, Tty = tty, Stdin = stdin, Stdout = stdout, Stderr = stderr }, o), cancel: ct)).Url;

    /// <summary>A URL on the runtime's streaming server forwarding connections into the sandbox's network namespace.</summary>
    public async Task<string> PortForwardAsync(string sandboxId, CancellationToken ct) =>
        (await cri.CallAsync("PortForward", o => cri.Runtime.PortForwardAsync(new PortForwardRequest { PodSandboxId = sandboxId }, o), cancel: ct)).Url;

    /// <summary>The image as the runtime has it (its id, the imageID users see), or null when it is not there.</summary>
    public async Task<Image?> ImageAsync(string image, CancellationToken ct) =>
        (await cri.CallAsync("ImageStatus", o => cri.Images.ImageStatusAsync(new ImageStatusRequest { Image = new ImageSpec { Image = image } }, o), cancel: ct)).Image;

    public async Task<string> PullImageAsync(string image, PodSandboxConfig sandbox, CancellationToken ct) =>
        (await cri.CallAsync("PullImage", o => cri.Images.PullImageAsync(new PullImageRequest { Image = new ImageSpec { Image = image }, SandboxConfig = sandbox }, o), Long, ct)).ImageRef;
}
