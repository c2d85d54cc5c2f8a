using System.Net.Sockets;
using k8s.Models;
using Kybernet.Kubelet.Cri;
using Kybernet.Kubelet.Cri.V1;
using Kybernet.Kubelet.Pods;
using Kybernet.Streams;
using Kybernet.Streams.Http;
using Kybernet.Streams.Relays;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Server;

/// <summary>
/// exec, attach and portForward on the kubelet API, as upstream's kubelet serves them with a CRI runtime: the runtime
/// is asked (CRI Exec, Attach, PortForward) for a one-time URL on its streaming server, and the API server's upgrade
/// request is passed on to that URL; once the runtime switches protocols (SPDY/3.1), bytes are relayed both ways until
/// either end closes. The streams themselves (stdin, stdout, stderr, error, resize; port-forward's data and error) are
/// the runtime's business, so nothing here parses them.
/// </summary>
public sealed class StreamingProxy(Func<IEnumerable<V1Pod>> pods, CriRuntime runtime, ILogger log)
{
    public async Task ExecAsync(HttpContext context, string ns, string podName, string container)
    {
        var command = context.Request.Query["command"].OfType<string>().ToList();
        if (command.Count == 0)
            throw new RequestRefusedException(400, "you must specify at least 1 command");
        var (stdin, stdout, stderr, tty) = Streams(context);
        var id = ContainerId(ns, podName, container);
        var url = await Runtime(() => runtime.ExecAsync(id, command, tty, stdin, stdout, stderr, context.RequestAborted));
        await ProxyAsync(context, url);
    }

    public async Task AttachAsync(HttpContext context, string ns, string podName, string container)
    {
        var (stdin, stdout, stderr, tty) = Streams(context);
        var id = ContainerId(ns, podName, container);
        // The runtime learns of an exit a moment late and would still attach to a process that has gone, whose output
        // is then lost (kubectl run -it ... -- echo hi); refused, kubectl shows the container's log instead.
        if (await Runtime(() => runtime.ContainerPidAsync(id, context.RequestAborted)) is { } pid && !ProcessRuns(pid))
            throw new RequestRefusedException(400, $"container {container} in pod {podName} is not running (its process has exited)");
        var url = await Runtime(() => runtime.AttachAsync(id, tty, stdin, stdout, stderr, context.RequestAborted));
        await ProxyAsync(context, url);
    }

    public async Task PortForwardAsync(HttpContext context, string ns, string podName)
    {
        var pod = BoundPods.Find(pods, ns, podName);
        var sandboxes = await Runtime(() => runtime.ListSandboxesAsync(pod.Metadata.Uid, context.RequestAborted));
        var sandbox = sandboxes.Where(s => s.State == PodSandboxState.SandboxReady).OrderByDescending(s => s.CreatedAt).FirstOrDefault()
            ?? throw new RequestRefusedException(400, $"pod \"{podName}\" has no running sandbox: nothing to forward to");
        var url = await Runtime(() => runtime.PortForwardAsync(sandbox.Id, context.RequestAborted));
        await ProxyAsync(context, url);
    }

    /// <summary>The upstream query names: input, output, error, tty ("1" or "true").</summary>
    private static (bool Stdin, bool Stdout, bool Stderr, bool Tty) Streams(HttpContext context)
    {
        bool Flag(string name) => context.Request.Query[name].ToString() is "1" or "true";
        var streams = (Flag("input"), Flag("output"), Flag("error"), Flag("tty"));
        if (!streams.Item1 && !streams.Item2 && !streams.Item3)
            throw new RequestRefusedException(400, "you must specify at least one of stdin, stdout, stderr");
        return streams;
    }

    /// <summary>The runtime's id of the container's current instance, as the pod's status names it.</summary>
    private string ContainerId(string ns, string podName, string container)
    {
        var pod = BoundPods.Find(pods, ns, podName);
        var status = (pod.Status?.ContainerStatuses ?? []).Concat(pod.Status?.InitContainerStatuses ?? []).FirstOrDefault(s => s.Name == container);
        if (status?.ContainerID is not { Length: > 0 } id)
            throw new RequestRefusedException(404, $"container not found (\"{container}\")");
        if (status.State?.Running is null)
            throw new RequestRefusedException(400, $"container {container} in pod {podName} is not running");
        return RuntimeInstances.RuntimeId(id);
    }

    /// <summary>Whether the host process exists and is not a zombie waiting to be reaped.</summary>
    private static bool ProcessRuns(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..];
            return state.Length > 0 && state[0] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task<T> Runtime<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (CriException e)
        {
            throw new RequestRefusedException(e.IsNotFound ? 404 : 500, e.Message);
        }
    }

    /// <summary>Passes the upgrade on to the runtime's URL and, once both ends have switched, relays the connection.</summary>
    private async Task ProxyAsync(HttpContext context, string url)
    {
        var upgrade = context.Features.Get<IHttpUpgradeFeature>();
        if (upgrade is not { IsUpgradableRequest: true } || context.Request.Headers.Upgrade.Count == 0)
            throw new RequestRefusedException(400, "Upgrade request required");
        var target = new Uri(url);
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(target.Host, target.Port, context.RequestAborted);
            var runtimeEnd = tcp.GetStream();
            var headers = new List<KeyValuePair<string, string>> { new("Connection", "Upgrade"), new("Upgrade", context.Request.Headers.Upgrade.ToString()) };
            headers.AddRange(context.Request.Headers[StreamProtocols.VersionHeader].OfType<string>().Select(v => new KeyValuePair<string, string>(StreamProtocols.VersionHeader, v)));
            var answer = await HttpUpgrade.RequestAsync(runtimeEnd, context.Request.Method, target.Authority, target.PathAndQuery, headers, context.RequestAborted);
            if (!answer.Upgraded)
                throw new RequestRefusedException(answer.Status, answer.Body.Trim() is { Length: > 0 } body ? body : $"the runtime answered {answer.Status} {answer.Reason}");
            context.Response.Headers.Upgrade = answer.Values("Upgrade").FirstOrDefault() ?? context.Request.Headers.Upgrade.ToString();
            context.Response.Headers[StreamProtocols.VersionHeader] = answer.Values(StreamProtocols.VersionHeader).ToArray();
            var clientEnd = await upgrade.UpgradeAsync();
            log.LogDebug("{Path}: relaying to the runtime's {Url}", context.Request.Path, target.GetLeftPart(UriPartial.Authority));
            await StreamRelay.PipeAsync(clientEnd, runtimeEnd, context.RequestAborted);
        }
        catch (SocketException e)
        {
            throw new RequestRefusedException(500, $"the runtime's streaming server at {target.Authority} cannot be reached: {e.Message}");
        }
        finally
        {
            tcp.Dispose();
        }
    }
}
