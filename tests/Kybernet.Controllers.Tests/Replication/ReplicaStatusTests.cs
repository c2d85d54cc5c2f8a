using Kybernet.Controllers.Replication;

namespace Kybernet.Controllers.Tests.Replication;

public sealed class ReplicaStatusTests
{
    private static readonly DateTime At = new(2026, 12, 2, 10, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void The_merge_patch_removes_zero_counts_and_an_absent_condition_list_as_upstreams_omitempty_fields()
    {
        var patch = new ReplicaStatus(3, 3, 0, 0, 2, []).ToMergePatch().ToJsonString();
        Assert.Equal("""{"status":{"replicas":3,"fullyLabeledReplicas":3,"readyReplicas":null,"availableReplicas":null,"observedGeneration":2,"conditions":null}}""", patch);
    }

    [Fact]
    public void A_condition_is_written_whole_with_its_transition_time_in_seconds()
    {
        var failure = new ReplicaCondition(ReplicaStatus.ReplicaFailure, "True", ReplicaStatus.FailedCreate, "quota", At.AddMilliseconds(250));
        var patch = new ReplicaStatus(0, 0, 0, 0, 1, [failure]).ToMergePatch().ToJsonString();
        Assert.Contains("""
            "conditions":[{"type":"ReplicaFailure","status":"True","lastTransitionTime":"2026-12-02T10:00:00Z","reason":"FailedCreate","message":"quota"}]
            """, patch);
    }

    [Fact]
    public void Only_a_change_a_reader_sees_counts_as_a_difference()
    {
        var failure = new ReplicaCondition(ReplicaStatus.ReplicaFailure, "True", ReplicaStatus.FailedCreate, "quota", At);
        var stored = new ReplicaStatus(2, 2, 1, 1, 4, [failure]);
        Assert.False(new ReplicaStatus(2, 2, 1, 1, 4, [failure with { LastTransitionTime = At.AddMinutes(1) }]).DiffersFrom(stored));
        Assert.True((stored with { ReadyReplicas = 2 }).DiffersFrom(stored));
        Assert.True((stored with { ObservedGeneration = 5 }).DiffersFrom(stored));
        Assert.True((stored with { Conditions = [] }).DiffersFrom(stored));
        Assert.True((stored with { Conditions = [failure with { Message = "other" }] }).DiffersFrom(stored));
    }
}
