using k8s;
using k8s.Models;
using Kybernet.Client.Informers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Kybernet.Client.Tests.Informers;

public sealed class SharedInformerTests : IAsyncDisposable
{
    private readonly ScriptedSource<V1Pod> _source = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _run = Task.CompletedTask;

    private static V1Pod Pod(string name, string rv, string? node = null, string ns = "default") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, ResourceVersion = rv },
        Spec = new V1PodSpec { NodeName = node },
    };

    private SharedInformer<V1Pod> Start(InformerOptions? options = null)
    {
        var informer = new SharedInformer<V1Pod>(_source.ListWatch, options);
        _run = informer.RunAsync(null, _stop.Token);
        return informer;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run.WaitAsync(TimeSpan.FromSeconds(30)); // ends by itself on cancellation, without throwing
        _stop.Dispose();
    }

    [Fact]
    public async Task The_first_list_fills_the_cache_and_is_told_as_adds()
    {
        _source.SetList("10", Pod("a", "3"), Pod("b", "4", ns: "other"));
        var recorder = new Recorder<V1Pod>();
        var informer = new SharedInformer<V1Pod>(_source.ListWatch);
        informer.AddHandler(recorder.Handler);
        Assert.False(informer.HasSynced);
        _run = informer.RunAsync(null, _stop.Token);
        await informer.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(["add default/a 3", "add other/b 4"], await recorder.WaitFor(2));
        Assert.Equal("3", informer.Cache.Get("default", "a")!.ResourceVersion());
        Assert.Equal(["b"], informer.Cache.ByIndex(InformerCache<V1Pod>.NamespaceIndex, "other").Select(p => p.Name()));
        Assert.Equal("10", informer.LastResourceVersion);
    }

    [Fact]
    public async Task Watch_events_update_the_cache_and_reach_the_handlers_in_order()
    {
        _source.SetList("10", Pod("a", "3"));
        var recorder = new Recorder<V1Pod>();
        var informer = Start();
        informer.AddHandler(recorder.Handler);
        await informer.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(30));

        await _source.Send(WatchEventType.Added, Pod("b", "11"));
        await _source.Send(WatchEventType.Modified, Pod("a", "12"));
        await _source.Send(WatchEventType.Deleted, Pod("b", "13"));

        Assert.Equal(["add default/a 3", "add default/b 11", "update default/a 3->12", "delete default/b 13"], await recorder.WaitFor(4));
        Assert.Equal(["a"], informer.Cache.List().Select(p => p.Name()));
        Assert.Equal("12", informer.Cache.Get("default/a")!.ResourceVersion());
    }

    [Fact]
    public async Task A_relist_is_told_as_the_difference_from_the_cache()
    {
        _source.SetList("10", Pod("same", "1"), Pod("changed", "2"), Pod("gone", "3"));
        var recorder = new Recorder<V1Pod>();
        var informer = Start();
        informer.AddHandler(recorder.Handler);
        await recorder.WaitFor(3);
        recorder.Clear();

        // While nobody watched: "changed" changed, "gone" went, "new" came, "same" stayed as it was.
        _source.SetList("20", Pod("same", "1"), Pod("changed", "15"), Pod("new", "16"));
        await _source.Expire();
        await _source.Watching;

        var told = await recorder.WaitFor(3);
        Assert.Equal(["delete default/gone 3", "update default/changed 2->15", "add default/new 16"], told);
        Assert.Equal(2, _source.Lists);
        Assert.Equal(["changed", "new", "same"], informer.Cache.List().Select(p => p.Name()).Order());
    }

    [Fact]
    public async Task Custom_indexes_follow_objects_as_they_change()
    {
        _source.SetList("10", Pod("a", "1", node: "n1"), Pod("b", "2", node: "n1"), Pod("c", "3"));
        var informer = new SharedInformer<V1Pod>(_source.ListWatch);
        informer.Cache.AddIndexer("spec.nodeName", p => p.Spec?.NodeName is { } n ? [n] : []);
        _run = informer.RunAsync(null, _stop.Token);
        await informer.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["a", "b"], informer.Cache.ByIndex("spec.nodeName", "n1").Select(p => p.Name()).Order());

        var recorder = new Recorder<V1Pod>();
        informer.AddHandler(recorder.Handler);
        await _source.Send(WatchEventType.Modified, Pod("b", "4", node: "n2"));
        await _source.Send(WatchEventType.Deleted, Pod("a", "5", node: "n1"));
        await recorder.WaitFor(5); // 3 catch-up adds, then the two changes

        Assert.Empty(informer.Cache.ByIndex("spec.nodeName", "n1"));
        Assert.Equal(["b"], informer.Cache.ByIndex("spec.nodeName", "n2").Select(p => p.Name()));
        Assert.Throws<ArgumentException>(() => informer.Cache.ByIndex("no-such-index", "x"));
    }

    [Fact]
    public async Task A_handler_added_late_first_hears_what_is_there()
    {
        _source.SetList("10", Pod("a", "1"), Pod("b", "2"));
        var informer = Start();
        await informer.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var late = new Recorder<V1Pod>();
        informer.AddHandler(late.Handler);
        await _source.Send(WatchEventType.Added, Pod("c", "11"));

        Assert.Equal(["add default/a 1", "add default/b 2", "add default/c 11"], (await late.WaitFor(3)).Order());
    }

    [Fact]
    public async Task Resync_tells_every_object_again_as_an_update_of_itself()
    {
        var time = new FakeTimeProvider();
        _source.SetList("10", Pod("a", "1"), Pod("b", "2"));
        var recorder = new Recorder<V1Pod>();
        var informer = Start(new InformerOptions { ResyncPeriod = TimeSpan.FromMinutes(1), Time = time });
        informer.AddHandler(recorder.Handler);
        await recorder.WaitFor(2);
        recorder.Clear();

        time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal(["update default/a 1->1", "update default/b 2->2"], (await recorder.WaitFor(2)).Order());
    }

    [Fact]
    public async Task A_failing_handler_is_logged_and_the_others_still_hear_everything()
    {
        var log = new FakeLogCollector();
        _source.SetList("10", Pod("a", "1"));
        var informer = new SharedInformer<V1Pod>(new ListWatch<V1Pod>("pods", _ => Task.FromResult<(IList<V1Pod>, string)>(([Pod("a", "1")], "10")),
            (_, _, _, ct) => Never(ct))
        { Log = new FakeLogger(log) });
        informer.AddHandler(new InformerHandler<V1Pod>(OnAdd: _ => throw new InvalidOperationException("handler bug")));
        var recorder = new Recorder<V1Pod>();
        informer.AddHandler(recorder.Handler);
        _run = informer.RunAsync(null, _stop.Token);

        Assert.Equal(["add default/a 1"], await recorder.WaitFor(1));
        var error = Assert.Single(log.GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.Contains("add of default/a: handler bug", error.Message);
    }

    [Fact]
    public async Task A_name_deleted_and_made_again_while_not_watching_is_told_as_a_delete_and_an_add()
    {
        var first = Pod("a", "3");
        first.Metadata.Uid = "uid-1";
        _source.SetList("10", first);
        var recorder = new Recorder<V1Pod>();
        var informer = Start();
        informer.AddHandler(recorder.Handler);
        await recorder.WaitFor(1);
        recorder.Clear();

        var again = Pod("a", "15");
        again.Metadata.Uid = "uid-2";
        _source.SetList("20", again);
        await _source.Expire();

        Assert.Equal(["delete default/a 3", "add default/a 15"], await recorder.WaitFor(2));
        Assert.Equal("uid-2", informer.Cache.Get("default/a")!.Uid());
    }

    [Fact]
    public async Task A_handler_may_remove_itself_while_it_is_told_something()
    {
        _source.SetList("10", Pod("a", "1"));
        var informer = Start();
        await informer.WaitForSyncAsync().WaitAsync(TimeSpan.FromSeconds(30));
        IDisposable? once = null;
        var told = 0;
        once = informer.AddHandler(new InformerHandler<V1Pod>(OnUpdate: (_, _) => { told++; once!.Dispose(); }));
        var recorder = new Recorder<V1Pod>();
        informer.AddHandler(recorder.Handler);

        await _source.Send(WatchEventType.Modified, Pod("a", "2"));
        await _source.Send(WatchEventType.Modified, Pod("a", "3"));

        Assert.Equal(["add default/a 1", "update default/a 1->2", "update default/a 2->3"], await recorder.WaitFor(3));
        Assert.Equal(1, told); // removed after the first, and the informer went on
    }

    private static async IAsyncEnumerable<(WatchEventType, V1Pod)> Never([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        await Task.Delay(Timeout.Infinite, ct);
        yield break;
    }
}
