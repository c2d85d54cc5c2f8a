using k8s.Models;
using Kybernet.Controllers.Deployments;

namespace Kybernet.Controllers.Tests.Deployments;

/// <summary>The pure parts of the deployment controller: the template hash, surge and unavailability, annotations.</summary>
public sealed class RolloutArithmeticTests
{
    private static V1PodTemplateSpec Template(string image, IDictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Labels = labels ?? new Dictionary<string, string> { ["app"] = "web" } },
        Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = image }] },
    };

    private static V1Deployment Deployment(int replicas, string? surge, string? unavailable, string strategy = "RollingUpdate") => new()
    {
        Metadata = new V1ObjectMeta { Name = "web" },
        Spec = new V1DeploymentSpec
        {
            Replicas = replicas,
            Strategy = new V1DeploymentStrategy
            {
                Type = strategy,
                RollingUpdate = new V1RollingUpdateDeployment { MaxSurge = surge is null ? null : (IntOrString)surge, MaxUnavailable = unavailable is null ? null : (IntOrString)unavailable },
            },
            Template = Template("busybox"),
        },
    };

    [Fact]
    public void The_hash_uses_the_safe_alphabet_ignores_its_own_label_and_changes_with_the_template_and_the_collision_count()
    {
        var hash = PodTemplateHash.Compute(Template("busybox"), null);
        // Decimal digits mapped through the 27-letter alphabet land on these ten, as upstream's hashes do.
        Assert.Matches("^[456789bcdf]{1,10}$", hash);
        Assert.Equal(hash, PodTemplateHash.Compute(Template("busybox"), null));
        Assert.Equal(hash, PodTemplateHash.Compute(Template("busybox", new Dictionary<string, string> { ["app"] = "web", ["pod-template-hash"] = "x" }), null));
        Assert.NotEqual(hash, PodTemplateHash.Compute(Template("busybox:2"), null));
        Assert.NotEqual(hash, PodTemplateHash.Compute(Template("busybox"), 1));
        Assert.NotEqual(PodTemplateHash.Compute(Template("busybox"), 1), PodTemplateHash.Compute(Template("busybox"), 2));
    }

    [Fact]
    public void Templates_equal_but_for_the_hash_label_and_empty_collections_are_the_same_template()
    {
        var withHash = Template("busybox", new Dictionary<string, string> { ["app"] = "web", ["pod-template-hash"] = "abc" });
        Assert.True(PodTemplateHash.EqualIgnoringHash(Template("busybox"), withHash));
        var withEmptyEnv = Template("busybox");
        withEmptyEnv.Spec.Containers[0].Env = [];
        withEmptyEnv.Metadata.Annotations = new Dictionary<string, string>();
        Assert.True(PodTemplateHash.EqualIgnoringHash(Template("busybox"), withEmptyEnv));
        Assert.False(PodTemplateHash.EqualIgnoringHash(Template("busybox"), Template("busybox:2")));
    }

    [Theory]
    [InlineData(3, "25%", "25%", 1, 0)]   // surge rounds up, unavailability down
    [InlineData(10, "25%", "25%", 3, 2)]
    [InlineData(4, "0", "0%", 0, 1)]      // both zero: one may be unavailable, or nothing could move
    [InlineData(5, "2", "1", 2, 1)]
    [InlineData(2, "0", "5", 0, 2)]       // never more unavailable than there are replicas
    public void Surge_and_unavailability_resolve_as_upstream(int replicas, string surge, string unavailable, int expectedSurge, int expectedUnavailable)
    {
        var d = Deployment(replicas, surge, unavailable);
        Assert.Equal(expectedSurge, RolloutMath.MaxSurge(d));
        Assert.Equal(expectedUnavailable, RolloutMath.MaxUnavailable(d));
    }

    [Fact]
    public void Recreate_has_neither_surge_nor_unavailability_and_its_new_replica_set_gets_everything_at_once()
    {
        var d = Deployment(3, null, null, "Recreate");
        Assert.Equal((0, 0), (RolloutMath.MaxSurge(d), RolloutMath.MaxUnavailable(d)));
        var newRs = new V1ReplicaSet { Metadata = new V1ObjectMeta(), Spec = new V1ReplicaSetSpec { Replicas = 0 } };
        Assert.Equal(3, RolloutMath.NewReplicaSetReplicas(d, [newRs], newRs));
    }

    [Fact]
    public void The_new_replica_set_grows_only_into_the_room_the_surge_leaves()
    {
        var d = Deployment(4, "1", "0");
        var old = new V1ReplicaSet { Metadata = new V1ObjectMeta(), Spec = new V1ReplicaSetSpec { Replicas = 4 } };
        var newRs = new V1ReplicaSet { Metadata = new V1ObjectMeta(), Spec = new V1ReplicaSetSpec { Replicas = 0 } };
        Assert.Equal(1, RolloutMath.NewReplicaSetReplicas(d, [old, newRs], newRs));
        newRs.Spec.Replicas = 1;
        Assert.Equal(1, RolloutMath.NewReplicaSetReplicas(d, [old, newRs], newRs)); // 5 = 4 + 1 already
        old.Spec.Replicas = 2;
        Assert.Equal(3, RolloutMath.NewReplicaSetReplicas(d, [old, newRs], newRs));
    }

    [Fact]
    public void A_replica_set_brought_back_keeps_its_former_revisions_in_its_history()
    {
        var d = Deployment(3, null, null);
        d.Metadata.Annotations = new Dictionary<string, string> { [DeploymentAnnotations.ChangeCause] = "undo", [DeploymentAnnotations.Revision] = "4" };
        var rs = new V1ReplicaSet { Metadata = new V1ObjectMeta { Annotations = new Dictionary<string, string> { [DeploymentAnnotations.Revision] = "1" } }, Spec = new V1ReplicaSetSpec() };
        Assert.True(DeploymentAnnotations.SetNewReplicaSetAnnotations(d, rs, 3, exists: true, maxSurge: 1));
        Assert.Equal("3", rs.Metadata.Annotations[DeploymentAnnotations.Revision]);
        Assert.Equal("1", rs.Metadata.Annotations[DeploymentAnnotations.RevisionHistory]);
        Assert.Equal("undo", rs.Metadata.Annotations[DeploymentAnnotations.ChangeCause]);
        Assert.False(rs.Metadata.Annotations.ContainsKey(DeploymentAnnotations.DesiredReplicas)); // only set on creation
        Assert.True(DeploymentAnnotations.SetNewReplicaSetAnnotations(d, rs, 5, exists: true, maxSurge: 1));
        Assert.Equal("1,3", rs.Metadata.Annotations[DeploymentAnnotations.RevisionHistory]);
        Assert.False(DeploymentAnnotations.SetNewReplicaSetAnnotations(d, rs, 5, exists: true, maxSurge: 1));
    }

    [Fact]
    public void A_scale_mid_rollout_is_shared_in_proportion_to_the_sizes_the_replica_sets_were_made_for()
    {
        // 10 replicas with surge 3, rolling: old 8 and new 5 (13 = 10 + 3); scaled to 20, surge 5: 25 to share.
        var d = Deployment(20, "25%", "25%");
        var old = new V1ReplicaSet { Metadata = new V1ObjectMeta { Annotations = new Dictionary<string, string> { [DeploymentAnnotations.MaxReplicas] = "13" } }, Spec = new V1ReplicaSetSpec { Replicas = 8 } };
        var newRs = new V1ReplicaSet { Metadata = new V1ObjectMeta { Annotations = new Dictionary<string, string> { [DeploymentAnnotations.MaxReplicas] = "13" } }, Spec = new V1ReplicaSetSpec { Replicas = 5 } };
        var toAdd = 25 - 13;
        var first = RolloutMath.Proportion(old, d, toAdd, 0);
        var second = RolloutMath.Proportion(newRs, d, toAdd, first);
        Assert.Equal((7, 5), (first, second)); // 8*25/13 = 15.4 -> 15; 5*25/13 = 9.6 -> 10
    }

    [Fact]
    public void A_scale_down_counts_no_more_available_replicas_than_the_spec_still_wants()
    {
        // Shrunk from 3 to 2 a moment ago: the status still counts the pod on its way out.
        var shrunk = new V1ReplicaSet { Spec = new V1ReplicaSetSpec { Replicas = 2 }, Status = new V1ReplicaSetStatus { Replicas = 3, AvailableReplicas = 3 } };
        var growing = new V1ReplicaSet { Spec = new V1ReplicaSetSpec { Replicas = 2 }, Status = new V1ReplicaSetStatus { Replicas = 2, AvailableReplicas = 1 } };
        Assert.Equal(2, RolloutMath.AvailableAfterScaling(shrunk));
        Assert.Equal(3, RolloutMath.AvailableAfterScaling([shrunk, growing]));
        Assert.Equal(4, RolloutMath.AvailableReplicas([shrunk, growing])); // what the Deployment's status reports
        Assert.Equal(0, RolloutMath.AvailableAfterScaling(new V1ReplicaSet { Spec = new V1ReplicaSetSpec { Replicas = 1 } }));
    }
}
