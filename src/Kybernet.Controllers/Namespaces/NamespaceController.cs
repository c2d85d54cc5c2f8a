using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Client.Queues;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Controllers.Namespaces;

/// <summary>
/// kube-controller-manager's namespace controller: empties a terminating namespace, then lets it go. For a namespace
/// with a deletionTimestamp and the <c>kubernetes</c> finalizer in spec.finalizers, it deletes every object of every
/// namespaced resource the server serves (one delete-collection each, so finalizers and propagation apply as for any
/// delete); once nothing is left it removes its finalizer through <c>namespaces/NAME/finalize</c> and deletes the
/// namespace again, which the server then removes for good. Objects that take time to go (their own finalizers) make it
/// look again after <see cref="NamespaceControllerOptions.RecheckDelay"/>.
/// </summary>
public sealed class NamespaceController : IController
{
    public const string Finalizer = "kubernetes";

    private readonly IKubernetes _client;
    private readonly SharedInformer<V1Namespace> _namespaces;
    private readonly NamespaceControllerOptions _options;
    private readonly ILogger _log;

    public NamespaceController(InformerFactory informers, NamespaceControllerOptions? options = null, ILogger? log = null)
    {
        _client = informers.Client;
        _namespaces = informers.For<V1Namespace>(ApiResource.Namespaces);
        _options = options ?? new NamespaceControllerOptions();
        _log = log ?? NullLogger.Instance;
    }

    public string Name => "namespace";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var queue = new WorkQueue<string>(new WorkQueueOptions { BaseDelay = _options.RecheckDelay });
        using var handler = _namespaces.AddHandler(InformerHandler<V1Namespace>.OnAny(ns =>
        {
            if (ns.Metadata.DeletionTimestamp is not null)
                queue.Add(ns.Name());
        }));
        await _namespaces.WaitForSyncAsync(cancellationToken);
        await QueueWorkers.RunAsync(queue, workers: 1, (name, ct) => ReconcileAsync(queue, name, ct), _log, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private async Task ReconcileAsync(WorkQueue<string> queue, string name, CancellationToken ct)
    {
        if (_namespaces.Cache.Get(name) is not { Metadata.DeletionTimestamp: not null } ns)
            return;
        if (ns.Spec?.Finalizers?.Contains(Finalizer) == true)
        {
            var left = await DeleteContentAsync(name, ct);
            if (left.Count > 0)
            {
                _log.LogDebug("namespace {Namespace}: waiting for {Left} to go", name, string.Join(", ", left));
                queue.AddAfter(name, _options.RecheckDelay);
                return;
            }
            ns = await FinalizeAsync(ns, ct);
        }
        if (ns.Metadata.Finalizers is not { Count: > 0 } && ns.Spec?.Finalizers is not { Count: > 0 })
        {
            try
            {
                await _client.CoreV1.DeleteNamespaceAsync(name, new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = ns.Uid() } }, cancellationToken: ct);
                _log.LogInformation("namespace {Namespace}: empty, deleted", name);
            }
            catch (Exception e) when (KubeClient.IsNotFound(e) || KubeClient.IsConflict(e))
            {
                // Gone already (or a new namespace of that name): nothing more to do for this one.
            }
        }
    }

    /// <summary>Deletes everything in the namespace; returns what is still there ("3 pods"), empty when nothing is.</summary>
    private async Task<IReadOnlyList<string>> DeleteContentAsync(string ns, CancellationToken ct)
    {
        // Asked each time, so resources the server gained since start are emptied too.
        var resources = (await ApiDiscovery.ServerResourcesAsync(_client, ct))
            .Where(r => r.Resource.Namespaced && r.Can("list", "deletecollection"))
            .Select(r => r.Resource).ToList();
        var left = new List<string>();
        foreach (var resource in resources)
        {
            await _client.DeleteCollectionAsync(resource, ns, new V1DeleteOptions { PropagationPolicy = "Background" }, ct);
            var remaining = await _client.ListMetadataAsync(resource, ns, ct);
            if (remaining.Count > 0)
                left.Add($"{remaining.Count} {resource.QualifiedName}");
        }
        return left;
    }

    /// <summary>Removes our finalizer from spec.finalizers through the finalize subresource (the only way to change them).</summary>
    private async Task<V1Namespace> FinalizeAsync(V1Namespace ns, CancellationToken ct)
    {
        // The whole namespace as seen (a copy: cached objects are shared), with only spec.finalizers changed.
        var finalized = KubernetesJson.Deserialize<V1Namespace>(KubernetesJson.Serialize(ns));
        finalized.Spec.Finalizers = [.. ns.Spec.Finalizers.Where(f => f != Finalizer)];
        _log.LogInformation("namespace {Namespace}: empty, removing finalizer {Finalizer}", ns.Name(), Finalizer);
        return await _client.CoreV1.ReplaceNamespaceFinalizeAsync(finalized, ns.Name(), cancellationToken: ct);
    }
}

/// <summary>How the namespace controller runs.</summary>
public sealed record NamespaceControllerOptions
{
    /// <summary>How long to wait before looking again at a namespace whose content is still going.</summary>
    public TimeSpan RecheckDelay { get; init; } = TimeSpan.FromMilliseconds(500);
}
