using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Client.Informers;

/// <summary>
/// One informer per resource (and namespace and selectors) for a whole process, shared by every component that asks,
/// as client-go's SharedInformerFactory: components ask for what they need while they are being built, add their
/// handlers, then the process <see cref="Start"/>s them all and waits for their caches (<see cref="WaitForSyncAsync"/>)
/// before acting on them. Informers asked for after <see cref="Start"/> start at once.
/// </summary>
public sealed class InformerFactory(IKubernetes client, InformerOptions? options = null, ILoggerFactory? loggers = null) : IAsyncDisposable
{
    private readonly InformerOptions _options = options ?? new InformerOptions();
    private readonly ILoggerFactory _loggers = loggers ?? NullLoggerFactory.Instance;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _informers = new(StringComparer.Ordinal);
    private readonly List<Task> _running = [];
    private readonly CancellationTokenSource _stop = new();
    private CancellationTokenRegistration _stopping;
    private bool _started;

    public IKubernetes Client => client;

    /// <summary>The shared informer of <paramref name="resource"/> as <typeparamref name="T"/> (a typed model, or <see cref="ObjectMetadata"/>).</summary>
    public SharedInformer<T> For<T>(ApiResource resource, string? ns = null, string? fieldSelector = null, string? labelSelector = null)
        where T : IKubernetesObject<V1ObjectMeta>
    {
        var key = $"{typeof(T).FullName} {resource.QualifiedName} {ns} {fieldSelector} {labelSelector}";
        lock (_lock)
        {
            if (_informers.TryGetValue(key, out var existing))
                return (SharedInformer<T>)existing.Informer;
            var log = _loggers.CreateLogger($"informer {resource.QualifiedName}");
            var informer = new SharedInformer<T>(ListWatches.For<T>(client, resource, ns, fieldSelector, labelSelector, log), _options);
            var entry = new Entry(informer, () => RunLoggedAsync(informer.RunAsync(null, _stop.Token), log), informer.WaitForSyncAsync);
            _informers[key] = entry;
            if (_started)
                _running.Add(Task.Run(entry.Run));
            return informer;
        }
    }

    public SharedInformer<V1Node> Nodes() => For<V1Node>(ApiResource.Nodes);

    /// <summary>Starts every informer asked for so far (and from now on, each as it is asked for).</summary>
    /// <param name="stopping">
    /// Stops them all when cancelled, before dispose: a process that stops its API server beside them
    /// (`kybernet server`) ends their watches first, instead of having each report the server gone.
    /// </param>
    public void Start(CancellationToken stopping = default)
    {
        lock (_lock)
        {
            if (_started)
                return;
            _started = true;
            _stopping = stopping.Register(_stop.Cancel);
            foreach (var entry in _informers.Values)
                _running.Add(Task.Run(entry.Run));
        }
    }

    /// <summary>Returns once every informer asked for so far holds its first list.</summary>
    public Task WaitForSyncAsync(CancellationToken cancellationToken = default)
    {
        List<Task> waits;
        lock (_lock)
            waits = [.. _informers.Values.Select(e => e.WaitForSync(cancellationToken))];
        return Task.WhenAll(waits);
    }

    /// <summary>An informer that stops other than by cancellation is a bug the log must show, not a silent freeze.</summary>
    private async Task RunLoggedAsync(Task run, ILogger log)
    {
        try
        {
            await run;
        }
        catch (Exception e) when (!_stop.IsCancellationRequested)
        {
            log.LogCritical(e, "the informer stopped: {Error}", e.Message);
        }
    }

    private sealed record Entry(object Informer, Func<Task> Run, Func<CancellationToken, Task> WaitForSync);

    public async ValueTask DisposeAsync()
    {
        await _stopping.DisposeAsync();
        await _stop.CancelAsync();
        Task[] running;
        lock (_lock)
            running = [.. _running];
        await Task.WhenAll(running);
        _stop.Dispose();
    }
}
