using k8s.Models;
using Kybernet.Controllers.Scheduler;
using Microsoft.Extensions.Time.Testing;

namespace Kybernet.Controllers.Tests.Scheduler;

public sealed class SchedulingQueueTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new();
    private readonly SchedulingQueue _queue;

    public SchedulingQueueTests() => _queue = new SchedulingQueue(new SchedulerOptions(), _time);

    private static V1Pod Pod(string name, int priority = 0, string uid = "") => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "default", Uid = uid.Length > 0 ? uid : name, Labels = new Dictionary<string, string> { ["app"] = "x" } },
        Spec = new V1PodSpec { Priority = priority, Containers = [new V1Container { Name = "c", Image = "busybox" }] },
    };

    private Task<SchedulingQueue.Entry> Take() => _queue.TakeAsync(CancellationToken.None).WaitAsync(Bound);

    [Fact]
    public async Task Pods_come_out_by_priority_then_in_arrival_order()
    {
        _queue.AddOrUpdate(Pod("a"));
        _queue.AddOrUpdate(Pod("b", priority: 10));
        _queue.AddOrUpdate(Pod("c"));
        _queue.AddOrUpdate(Pod("a")); // again: still one, still first among equals
        Assert.Equal("default/b", (await Take()).Key);
        Assert.Equal("default/a", (await Take()).Key);
        Assert.Equal("default/c", (await Take()).Key);
    }

    [Fact]
    public async Task An_unschedulable_pod_waits_for_a_cluster_change_then_its_backoff()
    {
        _queue.AddOrUpdate(Pod("a"));
        _queue.Requeue(await Take(), unschedulable: true);
        _queue.Flush();
        Assert.Equal((0, 0, 1, 0), _queue.Counts());

        _queue.MoveAllToActiveOrBackoff(); // within its 1 s backoff: to backoff, not active
        Assert.Equal((0, 1, 0, 0), _queue.Counts());
        _time.Advance(TimeSpan.FromSeconds(1));
        _queue.Flush();
        Assert.Equal("default/a", (await Take()).Key);
    }

    [Fact]
    public async Task A_change_while_the_pod_is_in_flight_sends_it_to_backoff_not_to_the_unschedulable_set()
    {
        _queue.AddOrUpdate(Pod("a"));
        var entry = await Take();
        _queue.MoveAllToActiveOrBackoff(); // a node was added while it was being decided
        _queue.Requeue(entry, unschedulable: true);
        Assert.Equal((0, 1, 0, 0), _queue.Counts());
    }

    [Fact]
    public async Task Only_a_change_to_spec_labels_or_annotations_moves_an_unschedulable_pod()
    {
        _queue.AddOrUpdate(Pod("a"));
        _queue.Requeue(await Take(), unschedulable: true);
        _time.Advance(TimeSpan.FromSeconds(5));

        var statusOnly = Pod("a");
        statusOnly.Status = new V1PodStatus { Conditions = [new V1PodCondition { Type = "PodScheduled", Status = "False" }] };
        _queue.AddOrUpdate(statusOnly);
        Assert.Equal((0, 0, 1, 0), _queue.Counts());

        var relabelled = Pod("a");
        relabelled.Metadata.Labels["tier"] = "web";
        _queue.AddOrUpdate(relabelled);
        Assert.Equal("web", (await Take()).Pod.Metadata.Labels["tier"]);
    }

    [Fact]
    public async Task Unschedulable_pods_are_retried_after_the_longest_wait_without_any_change()
    {
        _queue.AddOrUpdate(Pod("a"));
        _queue.Requeue(await Take(), unschedulable: true);
        _time.Advance(TimeSpan.FromSeconds(59));
        _queue.Flush();
        Assert.Equal((0, 0, 1, 0), _queue.Counts());
        _time.Advance(TimeSpan.FromSeconds(1));
        _queue.Flush();
        Assert.Equal("default/a", (await Take()).Key);
    }

    [Fact]
    public void Backoff_starts_at_one_second_and_doubles_up_to_ten()
    {
        Assert.Equal([1, 2, 4, 8, 10, 10], Enumerable.Range(1, 6).Select(a => _queue.Backoff(a).TotalSeconds));
    }

    [Fact]
    public async Task A_deleted_pod_is_never_handed_out_and_one_in_flight_is_dropped_when_handed_back()
    {
        _queue.AddOrUpdate(Pod("a"));
        _queue.AddOrUpdate(Pod("b"));
        _queue.Delete("default/a");
        var b = await Take();
        Assert.Equal("default/b", b.Key);
        _queue.Delete("default/b");
        _queue.Requeue(b, unschedulable: false);
        Assert.Equal((0, 0, 0, 0), _queue.Counts());
    }

    [Fact]
    public async Task A_pod_made_again_under_the_same_name_is_a_new_entry()
    {
        _queue.AddOrUpdate(Pod("a", uid: "one"));
        var first = await Take();
        _queue.AddOrUpdate(Pod("a", uid: "two"));
        Assert.Equal("two", (await Take()).Pod.Metadata.Uid);
        _queue.Requeue(first, unschedulable: true); // the old one's attempt ends: dropped
        Assert.Equal((0, 0, 0, 1), _queue.Counts());
    }
}
