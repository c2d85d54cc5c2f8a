using System.Runtime.CompilerServices;
using System.Threading.Channels;
using k8s;
using k8s.Models;

namespace Kybernet.Client.Tests.Informers;

/// <summary>
/// A list+watch whose answers the test writes: <see cref="SetList"/> is what the next list returns, <see cref="Send"/>
/// delivers a watch event on the open watch, <see cref="Expire"/> ends it the way a compaction does (410 Expired), so
/// the <see cref="ListWatch{T}"/> lists again. Pure: no server, no network.
/// </summary>
internal sealed class ScriptedSource<T> where T : IKubernetesObject<V1ObjectMeta>
{
    private readonly Lock _lock = new();
    private (IList<T> Items, string ResourceVersion) _list = ([], "1");
    private Channel<(WatchEventType, T)>? _watch;
    private TaskCompletionSource _watching = New();

    public int Lists { get; private set; }

    public ListWatch<T> ListWatch => new("scripted", ListAsync, Watch) { RetryInterval = TimeSpan.FromMilliseconds(1) };

    public void SetList(string resourceVersion, params T[] items)
    {
        lock (_lock)
            _list = (items, resourceVersion);
    }

    /// <summary>Waits until a watch is open (after a list, or after <see cref="Expire"/> and the relist that follows).</summary>
    public Task Watching => _watching.Task.WaitAsync(TimeSpan.FromSeconds(30));

    public async Task Send(WatchEventType type, T obj)
    {
        await Watching;
        Channel<(WatchEventType, T)> watch;
        lock (_lock)
            watch = _watch!;
        await watch.Writer.WriteAsync((type, obj));
    }

    /// <summary>The open watch reports 410 Expired: the reader must list again (whatever <see cref="SetList"/> says now).</summary>
    public async Task Expire()
    {
        await Watching;
        Channel<(WatchEventType, T)> watch;
        lock (_lock)
        {
            watch = _watch!;
            _watch = null;
            _watching = New();
        }
        await watch.Writer.WriteAsync((WatchEventType.Error, default!));
    }

    private Task<(IList<T>, string)> ListAsync(CancellationToken ct)
    {
        lock (_lock)
        {
            Lists++;
            return Task.FromResult(_list);
        }
    }

    private async IAsyncEnumerable<(WatchEventType, T)> Watch(string resourceVersion, int timeout, Action<Exception> onError, [EnumeratorCancellation] CancellationToken ct)
    {
        var channel = Channel.CreateUnbounded<(WatchEventType, T)>();
        lock (_lock)
        {
            _watch = channel;
            _watching.TrySetResult();
        }
        while (await channel.Reader.WaitToReadAsync(ct))
        {
            while (channel.Reader.TryRead(out var e))
                yield return e;
        }
    }

    private static TaskCompletionSource New() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
