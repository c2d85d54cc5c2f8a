using k8s.Models;
using Kybernet.Controllers.TaintEviction;

namespace Kybernet.Controllers.Tests.TaintEviction;

public sealed class EvictionTimeTests
{
    private static readonly DateTime Added = new(2026, 12, 2, 10, 0, 0, DateTimeKind.Utc);
    private static readonly DateTimeOffset Seen = new(2026, 12, 2, 11, 0, 0, TimeSpan.Zero);

    private static readonly V1Taint Unreachable = new() { Key = "node.kubernetes.io/unreachable", Effect = "NoExecute", TimeAdded = Added };
    private static readonly V1Taint Custom = new() { Key = "maintenance", Value = "yes", Effect = "NoExecute", TimeAdded = Added.AddSeconds(100) };

    private static V1Toleration Tolerate(string? key, long? seconds, string op = "Exists") => new() { Key = key, OperatorProperty = op, Effect = "NoExecute", TolerationSeconds = seconds };

    private static DateTimeOffset? For(V1Taint[] taints, params V1Toleration[] tolerations) => EvictionTime.For(taints, tolerations, _ => Seen);

    [Fact]
    public void An_untolerated_taint_evicts_at_once()
    {
        Assert.Equal(DateTimeOffset.MinValue, For([Unreachable]));
        Assert.Equal(DateTimeOffset.MinValue, For([Unreachable, Custom], Tolerate("node.kubernetes.io/unreachable", 300)));
    }

    [Fact]
    public void Tolerated_for_a_while_evicts_at_the_earliest_taint_time_plus_seconds_and_for_good_never()
    {
        Assert.Equal(new DateTimeOffset(Added.AddSeconds(300)), For([Unreachable], Tolerate("node.kubernetes.io/unreachable", 300)));
        Assert.Equal(new DateTimeOffset(Added.AddSeconds(130)), For([Unreachable, Custom], Tolerate("node.kubernetes.io/unreachable", 300), Tolerate("maintenance", 30)));
        Assert.Null(For([Unreachable], Tolerate("node.kubernetes.io/unreachable", null)));
        Assert.Null(For([Unreachable, Custom], Tolerate(null, null)));
        Assert.Equal(new DateTimeOffset(Added), For([Unreachable], Tolerate("node.kubernetes.io/unreachable", -5)));
    }

    [Fact]
    public void A_taint_without_time_added_counts_from_when_it_was_first_seen()
    {
        var untimed = new V1Taint { Key = "node.kubernetes.io/unreachable", Effect = "NoExecute" };
        Assert.Equal(Seen.AddSeconds(2), For([untimed], Tolerate("node.kubernetes.io/unreachable", 2)));
    }
}
