using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Client;

/// <summary>
/// client-go's event recorder: core/v1 Events about an object ("Created pod: web-x2k9f", "0/3 nodes are available: ...")
/// written in the background so a controller never waits for them, and the same event (object, type, reason, message)
/// repeated within ten minutes counted on the first one (count, lastTimestamp) instead of written again, as upstream's
/// correlator does. Events about one object are rate-limited as upstream's spam filter does (a burst of 25, then one per
/// five minutes), so a 1,000-replica ReplicaSet writes a few dozen "Created pod" events, not a thousand. A failed write
/// is logged and dropped: events are best effort.
/// </summary>
public sealed class EventRecorder : IAsyncDisposable
{
    public const string Normal = "Normal";
    public const string Warning = "Warning";

    private static readonly TimeSpan CorrelationWindow = TimeSpan.FromMinutes(10);
    private const int MaxRemembered = 4096;
    private const int SpamBurst = 25;
    private static readonly TimeSpan SpamRefill = TimeSpan.FromMinutes(5);

    private readonly IKubernetes _client;
    private readonly string _component;
    private readonly string? _host;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly Channel<Corev1Event> _pending = Channel.CreateBounded<Corev1Event>(new BoundedChannelOptions(1024) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Dictionary<string, (string Name, int Count, DateTimeOffset First)> _seen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (double Tokens, DateTimeOffset At)> _budgets = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _lastStamp;
    private readonly Task _writer;

    /// <param name="host">The node the component runs on (source.host: the kubelet's events say which node), or null.</param>
    public EventRecorder(IKubernetes client, string component, ILogger? log = null, TimeProvider? time = null, string? host = null)
    {
        _client = client;
        _component = component;
        _host = host;
        _log = log ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _writer = Task.Run(WriteAsync);
    }

    /// <summary>Records an event about <paramref name="obj"/> (kind and apiVersion as given, since typed objects from a list lack them).</summary>
    public void Record(IKubernetesObject<V1ObjectMeta> obj, string apiVersion, string kind, string type, string reason, string message)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var meta = obj.Metadata;
        var correlation = $"{meta.Uid}\n{type}\n{reason}\n{message}";
        string name;
        int count;
        lock (_lock)
        {
            if (!TakeToken(meta.Uid ?? $"{kind}/{meta.NamespaceProperty}/{meta.Name}", now))
                return;
            if (_seen.TryGetValue(correlation, out var seen) && now - seen.First < CorrelationWindow)
                (name, count) = (seen.Name, seen.Count + 1);
            else
            {
                if (_seen.Count >= MaxRemembered)
                    _seen.Clear();
                (name, count) = ($"{meta.Name}.{NextStamp(now):x}", 1);
            }
            _seen[correlation] = (name, count, count == 1 ? now : seen.First);
        }
        var ev = new Corev1Event
        {
            ApiVersion = "v1",
            Kind = "Event",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = meta.NamespaceProperty ?? "default" },
            InvolvedObject = new V1ObjectReference { ApiVersion = apiVersion, Kind = kind, Name = meta.Name, NamespaceProperty = meta.NamespaceProperty, Uid = meta.Uid, ResourceVersion = meta.ResourceVersion },
            Type = type,
            Reason = reason,
            Message = message,
            Count = count,
            FirstTimestamp = now,
            LastTimestamp = now,
            Source = new V1EventSource { Component = _component, Host = _host },
            ReportingComponent = _component,
            ReportingInstance = _host,
        };
        if (!_pending.Writer.TryWrite(ev))
            _log.LogWarning("event {Reason} about {Kind} {Name} dropped: too many waiting to be written", reason, kind, meta.Name);
    }

    /// <summary>The name's suffix: the time in ticks, made unique (two events in one tick must not share a name). Under the lock.</summary>
    private long NextStamp(DateTime now) => _lastStamp = Math.Max(now.Ticks, _lastStamp + 1);

    /// <summary>One token of the object's budget (refilled one per <see cref="SpamRefill"/>, at most <see cref="SpamBurst"/>), or false when spent.</summary>
    private bool TakeToken(string objectKey, DateTimeOffset now)
    {
        if (_budgets.Count >= MaxRemembered)
            _budgets.Clear();
        var (tokens, at) = _budgets.TryGetValue(objectKey, out var budget) ? budget : (SpamBurst, now);
        tokens = Math.Min(SpamBurst, tokens + (now - at) / SpamRefill);
        if (tokens < 1)
        {
            _budgets[objectKey] = (tokens, now);
            return false;
        }
        _budgets[objectKey] = (tokens - 1, now);
        return true;
    }

    private async Task WriteAsync()
    {
        await foreach (var ev in _pending.Reader.ReadAllAsync())
        {
            try
            {
                if (ev.Count > 1)
                {
                    var patch = new V1Patch(new { count = ev.Count, lastTimestamp = ev.LastTimestamp, message = ev.Message }, V1Patch.PatchType.MergePatch);
                    try
                    {
                        await _client.CoreV1.PatchNamespacedEventAsync(patch, ev.Metadata.Name, ev.Metadata.NamespaceProperty);
                        continue;
                    }
                    catch (Exception e) when (KubeClient.IsNotFound(e))
                    {
                        // The first one was never written or has expired: write this one whole.
                    }
                }
                await _client.CoreV1.CreateNamespacedEventAsync(ev, ev.Metadata.NamespaceProperty);
            }
            catch (Exception e)
            {
                _log.LogWarning("event {Reason} about {Kind} {Name} not written: {Error}", ev.Reason, ev.InvolvedObject.Kind, ev.InvolvedObject.Name, KubeClient.Describe(e));
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        _pending.Writer.TryComplete();
        await _writer;
    }
}
