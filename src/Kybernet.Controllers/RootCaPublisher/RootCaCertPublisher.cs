using k8s;
using k8s.Models;
using Kybernet.Client;
using Kybernet.Client.Informers;
using Kybernet.Client.Queues;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Controllers.RootCaPublisher;

/// <summary>
/// kube-controller-manager's root-ca-cert-publisher: every active namespace has the ConfigMap kube-root-ca.crt whose
/// ca.crt is the cluster CA (what a pod's projected service account volume mounts to trust the API server), with
/// upstream's description annotation. Made when a namespace appears, made again when deleted, put back when its data
/// or the annotation changed; a terminating namespace gets none. On the shared namespace informer and an informer of
/// the ConfigMaps of that name only, with a work queue of namespace names.
/// </summary>
public sealed class RootCaCertPublisher : IController
{
    public const string ConfigMapName = "kube-root-ca.crt";
    public const string DataKey = "ca.crt";
    public const string DescriptionAnnotation = "kubernetes.io/description";

    /// <summary>Upstream's wording of the annotation.</summary>
    public const string Description = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

    private readonly IKubernetes _client;
    private readonly SharedInformer<V1Namespace> _namespaces;
    private readonly SharedInformer<V1ConfigMap> _configMaps;
    private readonly string _caPem;
    private readonly ILogger _log;

    public RootCaCertPublisher(InformerFactory informers, string caPem, ILogger? log = null)
    {
        if (string.IsNullOrWhiteSpace(caPem))
            throw new ArgumentException("the root CA publisher needs the cluster CA certificate (PEM)", nameof(caPem));
        _client = informers.Client;
        _namespaces = informers.For<V1Namespace>(ApiResource.Namespaces);
        _configMaps = informers.For<V1ConfigMap>(ApiResource.ConfigMaps, fieldSelector: $"metadata.name={ConfigMapName}");
        _caPem = caPem;
        _log = log ?? NullLogger.Instance;
    }

    public string Name => "root-ca-cert-publisher";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var queue = new WorkQueue<string>(new WorkQueueOptions { BaseDelay = TimeSpan.FromMilliseconds(200), MaxDelay = TimeSpan.FromSeconds(30) });
        using var onNamespace = _namespaces.AddHandler(new InformerHandler<V1Namespace>(OnAdd: ns => queue.Add(ns.Name()), OnUpdate: (_, ns) => queue.Add(ns.Name())));
        using var onConfigMap = _configMaps.AddHandler(new InformerHandler<V1ConfigMap>(
            OnAdd: cm => queue.Add(cm.Namespace()),
            OnUpdate: (_, cm) => queue.Add(cm.Namespace()),
            OnDelete: cm => queue.Add(cm.Namespace())));
        await _namespaces.WaitForSyncAsync(cancellationToken);
        await _configMaps.WaitForSyncAsync(cancellationToken);
        await QueueWorkers.RunAsync(queue, workers: 1, ReconcileAsync, _log, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private async Task ReconcileAsync(string ns, CancellationToken ct)
    {
        if (_namespaces.Cache.Get(ns) is not { } namespaceObject || namespaceObject.Metadata.DeletionTimestamp is not null
            || namespaceObject.Status?.Phase is { } phase && phase != "Active")
            return;
        var current = _configMaps.Cache.Get(ns, ConfigMapName);
        try
        {
            if (current is null)
            {
                await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap
                {
                    ApiVersion = "v1",
                    Kind = "ConfigMap",
                    Metadata = new V1ObjectMeta
                    {
                        Name = ConfigMapName,
                        NamespaceProperty = ns,
                        Annotations = new Dictionary<string, string> { [DescriptionAnnotation] = Description },
                    },
                    Data = new Dictionary<string, string> { [DataKey] = _caPem },
                }, ns, cancellationToken: ct);
                _log.LogInformation("namespace {Namespace}: created ConfigMap {Name}", ns, ConfigMapName);
                return;
            }
            var dataRight = current.Data is { Count: 1 } data && data.TryGetValue(DataKey, out var pem) && pem == _caPem;
            if (dataRight && current.Metadata.Annotations?.TryGetValue(DescriptionAnnotation, out var description) == true && description.Length > 0)
                return;
            var corrected = KubernetesJson.Deserialize<V1ConfigMap>(KubernetesJson.Serialize(current));
            corrected.Data = new Dictionary<string, string> { [DataKey] = _caPem };
            corrected.Metadata.Annotations ??= new Dictionary<string, string>();
            corrected.Metadata.Annotations[DescriptionAnnotation] = Description;
            await _client.CoreV1.ReplaceNamespacedConfigMapAsync(corrected, ConfigMapName, ns, cancellationToken: ct);
            _log.LogInformation("namespace {Namespace}: corrected ConfigMap {Name}", ns, ConfigMapName);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && KubeClient.IsConflict(e))
        {
            // Made or changed meanwhile (our cache lags behind): its informer event queues the namespace again.
        }
        catch (Exception e) when (!ct.IsCancellationRequested && Endpoints.EndpointsController.IsNamespaceTerminating(e))
        {
            // The namespace began terminating after we looked: it gets no new content.
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            throw new InvalidOperationException($"publishing ConfigMap {ns}/{ConfigMapName} failed: {KubeClient.Describe(e)}", e);
        }
    }
}
