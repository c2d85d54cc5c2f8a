using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Controllers.Common;

namespace Kybernet.Controllers.Tests.Deployments;

/// <summary>
/// Watches the pods of a namespace and, after every single event, looks at the whole set as it then stands: the
/// fewest Ready pods and whether pods of two images ever existed at once, over everything seen since <see cref="Reset"/>.
/// </summary>
internal sealed class PodWatch : IAsyncDisposable
{
    private readonly InformerFactory _informers;
    private readonly SharedInformer<V1Pod> _pods;
    private readonly IDisposable _handler;
    private readonly Lock _lock = new();
    private bool _recording;

    public PodWatch(IKubernetes client, string ns = "default")
    {
        _informers = new InformerFactory(client);
        _pods = _informers.For<V1Pod>(ApiResource.Pods, ns: ns);
        _handler = _pods.AddHandler(InformerHandler<V1Pod>.OnAny(_ => Look()));
        _informers.Start();
    }

    public int FewestReady { get; private set; } = int.MaxValue;

    /// <summary>Whether pods of more than one image were ever present together (terminating ones included).</summary>
    public bool ImagesOverlapped { get; private set; }

    public int Events { get; private set; }

    /// <summary>Whether a pod was seen terminating (a graceful deletion under way) since <see cref="Reset"/>.</summary>
    public bool SawTerminating { get; private set; }

    public Task SyncedAsync() => _pods.WaitForSyncAsync();

    /// <summary>Starts recording from the current state.</summary>
    public void Reset()
    {
        lock (_lock)
        {
            _recording = true;
            (FewestReady, ImagesOverlapped, Events, SawTerminating) = (int.MaxValue, false, 0, false);
        }
        Look();
    }

    private void Look()
    {
        lock (_lock)
        {
            if (!_recording)
                return;
            var pods = _pods.Cache.List();
            Events++;
            FewestReady = Math.Min(FewestReady, pods.Count(p => PodState.IsReady(p) && !PodState.IsTerminating(p)));
            SawTerminating |= pods.Any(PodState.IsTerminating);
            ImagesOverlapped |= pods.Select(p => p.Spec.Containers[0].Image).Distinct().Count() > 1;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _handler.Dispose();
        await _informers.DisposeAsync();
    }
}
