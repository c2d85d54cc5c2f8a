using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Kubelets;
using Kybernet.Streams.RemoteCommand;
using Microsoft.Extensions.DependencyInjection;

namespace Kybernet.ApiServer.Registry.Subresources;

/// <summary>
/// pods/exec, pods/attach and pods/portforward: upstream's checks on the pod and the options, then the client's
/// upgrade connected to the pod's kubelet (<see cref="KubeletStreams"/>). GET and POST both serve (discovery's
/// create and get): kubectl opens WebSockets with GET and SPDY with POST.
/// </summary>
public abstract class StreamingSubresource : ConnectSubresource
{
    public override IReadOnlyList<string> Verbs => ["create", "get"];

    /// <summary>The kubelet's path for this pod, and the streams of a remote command (null for a port-forward).</summary>
    protected abstract (string Path, RemoteCommandStreams? Streams) KubeletTarget(ConnectRequest request, PodTarget pod);

    public override async Task ServeAsync(ConnectRequest request, CancellationToken cancellationToken)
    {
        var pod = await PodTarget.FindAsync(request, cancellationToken);
        var (path, streams) = KubeletTarget(request, pod);
        var node = await pod.NodeAsync(request, cancellationToken);
        await KubeletStreams.ServeAsync(request.Http, request.Services.GetRequiredService<KubeletClient>(), node, path, streams, cancellationToken);
    }

    protected static string PodPath(string action, ConnectRequest request) =>
        $"/{action}/{Uri.EscapeDataString(request.Namespace!)}/{Uri.EscapeDataString(request.Name)}";

    /// <summary>The stdin, stdout, stderr and tty options (upstream: at least one stream; a terminal has no stderr of its own).</summary>
    private static RemoteCommandStreams Streams(ConnectRequest request)
    {
        bool Flag(string name) => request.Query(name) is "true" or "1";
        var streams = new RemoteCommandStreams(Flag("stdin"), Flag("stdout"), Flag("stderr"), Flag("tty"));
        if (!streams.Stdin && !streams.Stdout && !streams.Stderr)
            throw ApiException.BadRequest("you must specify at least one of stdin, stdout, stderr");
        return streams;
    }

    /// <summary>
    /// exec's and attach's target: the container (as for logs), refused in a completed pod, then
    /// <paramref name="moreQuery"/> (exec's command, checked here in upstream's order), then the streams.
    /// </summary>
    protected static (string Path, RemoteCommandStreams? Streams) ContainerTarget(ConnectRequest request, PodTarget pod, string action, string doing, Func<string> moreQuery)
    {
        var container = pod.ChooseContainer(request.Query("container"));
        if (pod.Phase is "Succeeded" or "Failed")
            throw ApiException.BadRequest($"cannot {doing} a container in a completed pod; current phase is {pod.Phase}");
        var more = moreQuery();
        var streams = Streams(request);
        var query = $"input={(streams.Stdin ? 1 : 0)}&output={(streams.Stdout ? 1 : 0)}&error={(streams.Stderr ? 1 : 0)}&tty={(streams.Tty ? 1 : 0)}";
        return ($"{PodPath(action, request)}/{Uri.EscapeDataString(container)}?{query}{more}", streams);
    }
}

/// <summary>pods/NAME/exec: runs a command in a container (`kubectl exec`, `kubectl cp`).</summary>
public sealed class ExecSubresource : StreamingSubresource
{
    public override string Name => "exec";

    public override GroupVersionKind ResponseKind { get; } = new("", "v1", "PodExecOptions");

    protected override (string Path, RemoteCommandStreams? Streams) KubeletTarget(ConnectRequest request, PodTarget pod) =>
        ContainerTarget(request, pod, "exec", "exec into", () =>
        {
            var command = request.Http.Request.Query["command"].OfType<string>().ToList();
            return command.Count > 0
                ? string.Concat(command.Select(c => "&command=" + Uri.EscapeDataString(c)))
                : throw ApiException.BadRequest("you must specify at least 1 command");
        });
}

/// <summary>pods/NAME/attach: joins a running container's own stdin, stdout and stderr (`kubectl attach`, `kubectl run -it`).</summary>
public sealed class AttachSubresource : StreamingSubresource
{
    public override string Name => "attach";

    public override GroupVersionKind ResponseKind { get; } = new("", "v1", "PodAttachOptions");

    protected override (string Path, RemoteCommandStreams? Streams) KubeletTarget(ConnectRequest request, PodTarget pod) =>
        ContainerTarget(request, pod, "attach", "attach to", () => "");
}

/// <summary>pods/NAME/portforward: connections to the pod's ports (`kubectl port-forward`); the ports travel in the SPDY streams' headers.</summary>
public sealed class PortForwardSubresource : StreamingSubresource
{
    public override string Name => "portforward";

    public override GroupVersionKind ResponseKind { get; } = new("", "v1", "PodPortForwardOptions");

    protected override (string Path, RemoteCommandStreams? Streams) KubeletTarget(ConnectRequest request, PodTarget pod)
    {
        if (pod.Phase is not "Running")
            throw ApiException.BadRequest($"unable to forward port because pod is not running. Current status={pod.Phase}");
        return (PodPath("portForward", request), null);
    }
}
