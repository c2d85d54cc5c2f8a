using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Client.Queues;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Controllers.ServiceAccounts;

/// <summary>
/// kube-controller-manager's serviceaccounts controller: every active namespace has a ServiceAccount
/// named "default" (what a pod without spec.serviceAccountName runs as). Made when a namespace appears,
/// made again when deleted; a terminating namespace gets none. On the shared namespace and service
/// account informers, with a work queue of namespace names.
/// </summary>
public sealed class ServiceAccountsController : IController
{
    public const string DefaultName = "default";

    public static readonly ApiResource ServiceAccountResource = new("", "v1", "serviceaccounts", true);

    private readonly IKubernetes _client;
    private readonly SharedInformer<V1Namespace> _namespaces;
    private readonly SharedInformer<V1ServiceAccount> _accounts;
    private readonly ILogger _log;

    public ServiceAccountsController(InformerFactory informers, ILogger? log = null)
    {
        _client = informers.Client;
        _namespaces = informers.For<V1Namespace>(ApiResource.Namespaces);
        _accounts = informers.For<V1ServiceAccount>(ServiceAccountResource);
        _log = log ?? NullLogger.Instance;
    }

    public string Name => "serviceaccount";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var queue = new WorkQueue<string>(new WorkQueueOptions { BaseDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(30) });
        using var onNamespace = _namespaces.AddHandler(new InformerHandler<V1Namespace>(OnAdd: ns => queue.Add(ns.Name()), OnUpdate: (_, ns) => queue.Add(ns.Name())));
        using var onAccount = _accounts.AddHandler(new InformerHandler<V1ServiceAccount>(OnDelete: sa =>
        {
            if (sa.Name() == DefaultName)
                queue.Add(sa.Namespace());
        }));
        await _namespaces.WaitForSyncAsync(cancellationToken);
        await _accounts.WaitForSyncAsync(cancellationToken);
        await QueueWorkers.RunAsync(queue, workers: 1, ReconcileAsync, _log, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private async Task ReconcileAsync(string ns, CancellationToken ct)
    {
        if (_namespaces.Cache.Get(ns) is not { } namespaceObject || namespaceObject.Metadata.DeletionTimestamp is not null)
            return;
        if (_accounts.Cache.Get(ns, DefaultName) is not null)
            return;
        try
        {
            await _client.CoreV1.CreateNamespacedServiceAccountAsync(new V1ServiceAccount
            {
                ApiVersion = "v1",
                Kind = "ServiceAccount",
                Metadata = new V1ObjectMeta { Name = DefaultName, NamespaceProperty = ns },
            }, ns, cancellationToken: ct);
            _log.LogInformation("namespace {Namespace}: created ServiceAccount {Name}", ns, DefaultName);
        }
        catch (Exception e) when (KubeClient.IsConflict(e))
        {
            // AlreadyExists (409): made meanwhile, our cache lags behind our own writes; nothing to do.
        }
        catch (Exception e) when (IsForbiddenTerminating(e))
        {
            // The namespace began terminating after we looked: it gets no new content.
        }
    }

    private static bool IsForbiddenTerminating(Exception e) =>
        e is k8s.Autorest.HttpOperationException { Response.StatusCode: System.Net.HttpStatusCode.Forbidden } h && h.Response.Content.Contains("being terminated", StringComparison.Ordinal);
}
