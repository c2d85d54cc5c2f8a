using Kybernet.Kubelet.Cri;
using Kybernet.Kubelet.Cri.V1;
using Kybernet.Linux;
using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Netlink;
using Kybernet.Linux.Processes;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Runtime;

/// <summary>
/// One node's containerd, run as a child daemon: started inside the node's network namespace (only that namespace
/// is entered: `ip netns exec` would also remount /sys and hide the cgroups runc needs), in a session of its own,
/// logging to a file, and ready once CRI Version answers. <see cref="StopAsync"/> with
/// <see cref="ContainerdStop.Everything"/> leaves nothing: pods removed through CRI (so CNI DEL runs), the daemon
/// stopped (SIGTERM, then SIGKILL), then whatever survived that (shims and their containers, mounts under its
/// root and state, cgroups under the cgroup parent, shim sockets) removed by <see cref="CleanUp"/>.
/// </summary>
public sealed class ContainerdProcess : IAsyncDisposable
{
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ReadyPoll = TimeSpan.FromMilliseconds(50);

    private readonly ILogger _logger;
    private bool _stopped;

    private ContainerdProcess(ContainerdOptions options, int pid, CriConnection cri, VersionResponse version, ILogger logger)
    {
        Options = options;
        Pid = pid;
        Cri = cri;
        Version = version;
        _logger = logger;
    }

    public ContainerdOptions Options { get; }

    public int Pid { get; }

    /// <summary>A CRI connection to this containerd, open while it runs.</summary>
    public CriConnection Cri { get; }

    /// <summary>What CRI Version said when it became ready.</summary>
    public VersionResponse Version { get; }

    /// <summary>"unix:///…": what a kubelet's --container-runtime-endpoint takes.</summary>
    public string Endpoint => "unix://" + Options.Socket;

    /// <summary>True for containerd's own process started with <paramref name="options"/>' config.</summary>
    public static Func<string[], bool> IsContainerdOf(ContainerdOptions options) => argv =>
        argv.Length >= 3 && Path.GetFileName(argv[0]) == "containerd" && OptionValue(argv, "--config") == options.ConfigPath;

    /// <summary>
    /// Writes the config and starts containerd inside <paramref name="networkNamespace"/> (a name under /run/netns;
    /// null: this process's namespace), then waits (at most <paramref name="readyTimeout"/>, 30 s by default) until CRI
    /// Version answers. A containerd with the same config already running is an error naming its pid.
    /// </summary>
    public static async Task<ContainerdProcess> StartAsync(ContainerdOptions options, string? networkNamespace, ILogger logger, TimeSpan? readyTimeout = null, CancellationToken cancel = default)
    {
        if (ProcFs.Find(IsContainerdOf(options)) is [var running, ..])
            throw new InvalidOperationException($"containerd with config {options.ConfigPath} is already running (pid {running})");
        foreach (var dir in new[] { options.Root, options.State, options.CniConfDir, Path.GetDirectoryName(options.Socket)! })
            Directory.CreateDirectory(dir);
        WriteAtomically(options.ConfigPath, ContainerdConfig.Render(options));
        File.Delete(options.Socket); // a stale socket from a crash would make the bind fail

        var where = networkNamespace is null ? "" : $" in netns {networkNamespace}";
        int pid = Spawn(options, networkNamespace);
        logger.LogInformation("Started containerd (pid {Pid}){Where}: config {Config}, socket {Socket}, log {Log}", pid, where, options.ConfigPath, options.Socket, options.LogPath);

        var cri = new CriConnection(options.Socket);
        try
        {
            var version = await WaitUntilReadyAsync(options, pid, cri, readyTimeout ?? TimeSpan.FromSeconds(30), where, cancel);
            logger.LogInformation("containerd (pid {Pid}) ready: {Runtime} {Version}, CRI {Api}", pid, version.RuntimeName, version.RuntimeVersion, version.RuntimeApiVersion);
            return new ContainerdProcess(options, pid, cri, version, logger);
        }
        catch (Exception e)
        {
            logger.LogError(e, "containerd (pid {Pid}){Where} did not become ready; stopping it", pid, where);
            cri.Dispose();
            StopDaemon(options, pid);
            throw;
        }
    }

    /// <summary>
    /// Stops containerd. <see cref="ContainerdStop.DaemonOnly"/> leaves shims and containers running (a runtime
    /// restart must not lose pods); <see cref="ContainerdStop.Everything"/> removes every pod first and then
    /// everything that is left (see <see cref="CleanUp"/>). Failures are logged and collected; an
    /// <see cref="InvalidOperationException"/> lists what could not be removed.
    /// </summary>
    public async Task StopAsync(ContainerdStop how = ContainerdStop.Everything, CancellationToken cancel = default)
    {
        if (_stopped)
            return;
        _stopped = true;
        if (how == ContainerdStop.Everything)
            await RemoveAllPodsAsync(cancel);
        Cri.Dispose();
        StopDaemon(Options, Pid);
        _logger.LogInformation("Stopped containerd (pid {Pid})", Pid);
        if (how == ContainerdStop.Everything)
        {
            var failures = CleanUp(Options, _logger);
            if (failures.Count > 0)
                throw new InvalidOperationException($"containerd {Options.Socket} stopped, but some of what it left could not be removed:\n" + string.Join('\n', failures));
        }
    }

    /// <summary>
    /// Removes what a stopped containerd of <paramref name="options"/> left behind, with no running containerd needed
    /// (after a crash too): its shims (and their containers' processes), the processes and cgroups under the cgroup
    /// parent, the mounts under its root and state directories, the shims' sockets and the state directory. The
    /// root (images, snapshots) stays. Returns what could not be removed; each failure is logged.
    /// </summary>
    public static IReadOnlyList<string> CleanUp(ContainerdOptions options, ILogger logger)
    {
        var failures = new List<string>();
        void Fail(string what)
        {
            failures.Add(what);
            logger.LogError("containerd cleanup: {Failure}", what);
        }

        if (ProcFs.Find(IsContainerdOf(options)) is [var alive, ..])
        {
            Fail($"containerd (pid {alive}) is still running; stop it first");
            return failures;
        }

        // Shims: learn their socket files, kill the containers they hold, then them.
        var shims = ContainerdShims.Find(options.Socket);
        var sockets = shims.SelectMany(ContainerdShims.SocketFiles).ToList();
        foreach (var shim in shims)
        {
            foreach (var child in ContainerdShims.Children(shim))
                Signals.Send(child, Signals.SIGKILL);
        }
        if (shims.Count > 0)
        {
            logger.LogWarning("containerd cleanup: killing {Count} shim(s) of {Socket} that outlived it: {Pids}", shims.Count, options.Socket, string.Join(' ', shims));
            try
            {
                ProcessStopper.StopInTurn(shims, ContainerdShims.IsShimOf(options.Socket), StopGrace, kill: true);
            }
            catch (LinuxException e)
            {
                Fail(e.Message);
            }
        }
        foreach (var socket in sockets)
            TryDelete(socket, Fail);

        if (options.CgroupParent is { } parent)
        {
            var tree = new CgroupTree(parent);
            if (tree.KillAll() > 0)
                WaitUntil(() => tree.Pids().Count == 0, StopGrace);
            if (tree.Pids() is { Count: > 0 } left)
                Fail($"processes still in cgroup {parent} after SIGKILL: {string.Join(' ', left)}");
            foreach (var failure in tree.Remove())
                Fail(failure);
        }

        foreach (var point in MountTable.Under(options.Root, options.State))
        {
            if (!MountTable.TryUnmount(point, out var error))
                Fail(error);
        }
        if (MountTable.Under(options.Root, options.State) is { Count: > 0 } mounted)
        {
            Fail($"still mounted: {string.Join(' ', mounted)}");
            return failures; // never delete through a mount
        }
        try
        {
            if (Directory.Exists(options.State))
                Directory.Delete(options.State, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail($"remove state dir {options.State}: {e.Message}");
        }
        TryDelete(options.Socket, Fail);
        TryDelete(options.Socket + ".ttrpc", Fail);
        return failures;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    /// <summary>Stops and removes every pod sandbox through CRI, so the runtime runs CNI DEL and its shims exit cleanly.</summary>
    private async Task RemoveAllPodsAsync(CancellationToken cancel)
    {
        ListPodSandboxResponse pods;
        try
        {
            pods = await Cri.CallAsync("ListPodSandbox", o => Cri.Runtime.ListPodSandboxAsync(new ListPodSandboxRequest(), o), TimeSpan.FromSeconds(10), cancel);
        }
        catch (CriException e)
        {
            _logger.LogError(e, "containerd (pid {Pid}): cannot list pods to remove them; the cleanup after the stop removes what they leave", Pid);
            return;
        }
        foreach (var pod in pods.Items)
        {
            try
            {
                await Cri.CallAsync("StopPodSandbox", o => Cri.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = pod.Id }, o), TimeSpan.FromSeconds(30), cancel);
                await Cri.CallAsync("RemovePodSandbox", o => Cri.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod.Id }, o), TimeSpan.FromSeconds(30), cancel);
            }
            catch (CriException e)
            {
                _logger.LogError(e, "containerd (pid {Pid}): removing pod sandbox {Sandbox} ({Namespace}/{Name}) failed", Pid, pod.Id, pod.Metadata?.Namespace, pod.Metadata?.Name);
            }
        }
    }

    private static int Spawn(ContainerdOptions options, string? networkNamespace)
    {
        var startOptions = new ChildProcessOptions("containerd", "--config", options.ConfigPath)
        {
            Stdin = ChildStdio.Null,
            Stdout = ChildStdio.AppendTo(options.LogPath),
            Stderr = ChildStdio.AppendTo(options.LogPath),
            // Its own session: a terminal's Ctrl-C or the end of the command that started it does not reach it.
            Grouping = ChildGrouping.OwnSession,
        };
        using var ns = networkNamespace is null ? null : NetworkNamespace.Open(networkNamespace);
        if (ns is not null)
        {
            // CRI's streaming server binds 127.0.0.1, which a fresh namespace lacks until lo is up (containerd then exits
            // with "bind: cannot assign requested address").
            using var nl = RtNetlink.Open(ns);
            nl.Links.SetUp("lo");
        }
        var child = ChildProcess.Start(startOptions, inside: ns);
        try
        {
            // Recognised by its command line from here on (stop, cleanup): make sure it reads as ours.
            var argv = child.WaitForCommandLine();
            if (argv is not null && !IsContainerdOf(options)(argv))
                throw new InvalidOperationException($"started {string.Join(' ', argv)}, which does not read as containerd with config {options.ConfigPath}");
        }
        catch
        {
            child.Dispose();
            throw;
        }
        child.Detach();
        return child.Pid;
    }

    private static async Task<VersionResponse> WaitUntilReadyAsync(ContainerdOptions options, int pid, CriConnection cri, TimeSpan timeout, string where, CancellationToken cancel)
    {
        var deadline = DateTime.UtcNow + timeout;
        CriException? last = null;
        while (true)
        {
            if (!ProcFs.IsAlive(pid))
                throw new InvalidOperationException($"containerd (pid {pid}){where} exited while starting; the end of its log {options.LogPath}:\n{LogTail(options.LogPath)}");
            if (File.Exists(options.Socket))
            {
                try
                {
                    return await cri.VersionAsync(TimeSpan.FromSeconds(2), cancel);
                }
                catch (CriException e) when (e.Code == Grpc.Core.StatusCode.Unimplemented)
                {
                    // containerd serves, but without its CRI plugin: that does not change by waiting.
                    throw new InvalidOperationException($"containerd (pid {pid}){where} runs without its CRI plugin ({e.Message}); the end of its log {options.LogPath}:\n{LogTail(options.LogPath)}", e);
                }
                catch (CriException e)
                {
                    last = e;
                }
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"containerd (pid {pid}){where} did not answer CRI Version on {options.Socket} within {timeout.TotalSeconds:0} s ({last?.Message ?? "no socket"}); the end of its log:\n{LogTail(options.LogPath)}");
            await Task.Delay(ReadyPoll, cancel);
        }
    }

    private static void StopDaemon(ContainerdOptions options, int pid) =>
        ProcessStopper.StopInTurn([pid], IsContainerdOf(options), StopGrace);

    private static void WaitUntil(Func<bool> done, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!done() && DateTime.UtcNow < deadline)
            Thread.Sleep(20);
    }

    private static void TryDelete(string path, Action<string> fail)
    {
        try
        {
            File.Delete(path);
        }
        catch (DirectoryNotFoundException)
        {
            // Its directory is gone already: so is the file.
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            fail($"remove {path}: {e.Message}");
        }
    }

    private static void WriteAtomically(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }

    private static string LogTail(string path, int lines = 20)
    {
        try { return string.Join('\n', File.ReadLines(path).TakeLast(lines)); }
        catch (IOException) { return "(no log)"; }
    }

    private static string? OptionValue(string[] argv, string option)
    {
        int i = Array.IndexOf(argv, option);
        return i >= 0 && i + 1 < argv.Length ? argv[i + 1] : null;
    }
}
