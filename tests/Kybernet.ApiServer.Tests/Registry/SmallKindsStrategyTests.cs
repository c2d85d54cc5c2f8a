using System.Text.Json.Nodes;
using Kybernet.ApiServer.Registry;
using Kybernet.ApiServer.Resources;
using static Kybernet.ApiServer.Tests.Registry.StrategyAssert;

namespace Kybernet.ApiServer.Tests.Registry;

/// <summary>The kinds whose rules are a few defaults and checks: HPAs, volumes and claims, priority classes, ingresses, events.k8s.io events.</summary>
public sealed class SmallKindsStrategyTests
{
    [Fact]
    public void An_hpa_scales_from_one_replica_on_80_percent_cpu_unless_told_otherwise()
    {
        var hpas = new HorizontalPodAutoscalerStrategy();
        Assert.Equal("v2", hpas.Resource.Version);
        var hpa = Obj("""{"metadata":{"name":"web"},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"maxReplicas":5}}""");
        hpas.Default(hpa);
        Assert.Equal(1, hpa["spec"]!["minReplicas"]!.GetValue<int>());
        Assert.Equal(HorizontalPodAutoscalerStrategy.CpuUtilization(80).ToJsonString(), hpa["spec"]!["metrics"]![0]!.ToJsonString());
        NoCauses(hpas.ValidateCreate(hpa));
        hpa["spec"]!["minReplicas"] = 6;
        HasCause(hpas.ValidateCreate(hpa), "FieldValueInvalid", "spec.maxReplicas");
        hpa["spec"]!["scaleTargetRef"] = new JsonObject();
        HasCause(hpas.ValidateCreate(hpa), "FieldValueRequired", "spec.scaleTargetRef.name");
    }

    [Fact]
    public void Volumes_and_claims_get_upstreams_defaults_and_need_access_modes_and_sizes()
    {
        var pvs = new PersistentVolumeStrategy();
        var pv = Obj("""{"metadata":{"name":"pv1"},"spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"],"hostPath":{"path":"/tmp/pv1"}}}""");
        pvs.PrepareForCreate(pv);
        pvs.Default(pv);
        Assert.Equal("Retain", Str(pv["spec"]!["persistentVolumeReclaimPolicy"]));
        Assert.Equal("Filesystem", Str(pv["spec"]!["volumeMode"]));
        Assert.Equal("Pending", Str(pv["status"]!["phase"]));
        NoCauses(pvs.ValidateCreate(pv));
        var sourceless = Obj("""{"metadata":{"name":"pv2"},"spec":{"capacity":{"storage":"1Gi"},"accessModes":["ReadWriteOnce"]}}""");
        HasCause(pvs.ValidateCreate(sourceless), "FieldValueRequired", "spec");

        var pvcs = new PersistentVolumeClaimStrategy();
        var pvc = Obj("""{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}}}}""");
        pvcs.Default(pvc);
        Assert.Equal("Filesystem", Str(pvc["spec"]!["volumeMode"]));
        NoCauses(pvcs.ValidateCreate(pvc));
        HasCause(pvcs.ValidateCreate(Obj("""{"metadata":{"name":"data"},"spec":{"resources":{"requests":{"storage":"1Gi"}}}}""")), "FieldValueRequired", "spec.accessModes");
        HasCause(pvcs.ValidateCreate(Obj("""{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteSometimes"]}}""")), "FieldValueNotSupported", "spec.accessModes");
        var grown = (JsonObject)pvc.DeepClone();
        grown["spec"]!["resources"]!["requests"]!["storage"] = "2Gi";
        NoCauses(pvcs.ValidateUpdate(grown, pvc));
        var remoded = (JsonObject)pvc.DeepClone();
        remoded["spec"]!["accessModes"] = new JsonArray("ReadWriteMany");
        HasCause(pvcs.ValidateUpdate(remoded, pvc), "FieldValueForbidden", "spec");
    }

    [Fact]
    public void Priority_classes_above_one_billion_and_system_names_are_the_servers()
    {
        var classes = new PriorityClassStrategy();
        var high = Obj("""{"metadata":{"name":"high"},"value":1000000}""");
        classes.Default(high);
        Assert.Equal("PreemptLowerPriority", Str(high["preemptionPolicy"]));
        Assert.False(high["globalDefault"]!.GetValue<bool>());
        NoCauses(classes.ValidateCreate(high));
        HasCause(classes.ValidateCreate(Obj("""{"metadata":{"name":"huge"},"value":1000000001}""")), "FieldValueForbidden", "value");
        HasCause(classes.ValidateCreate(Obj("""{"metadata":{"name":"system-mine"},"value":1}""")), "FieldValueForbidden", "metadata.name");
        NoCauses(classes.ValidateCreate(Obj("""{"metadata":{"name":"system-node-critical"},"value":2000001000}""")));
        var changed = (JsonObject)high.DeepClone();
        changed["value"] = 5;
        HasCause(classes.ValidateUpdate(changed, high), "FieldValueForbidden", "value");
    }

    [Fact]
    public void Ingress_paths_need_a_type_and_a_backend()
    {
        var ingresses = new IngressStrategy();
        var ok = Obj("""{"metadata":{"name":"web"},"spec":{"rules":[{"host":"a.example","http":{"paths":[{"path":"/","pathType":"Prefix","backend":{"service":{"name":"web","port":{"number":80}}}}]}}]}}""");
        NoCauses(ingresses.ValidateCreate(ok));
        var untyped = Obj("""{"metadata":{"name":"web"},"spec":{"rules":[{"http":{"paths":[{"path":"/","backend":{"service":{"name":"web","port":{"name":"http"}}}}]}}]}}""");
        HasCause(ingresses.ValidateCreate(untyped), "FieldValueRequired", "spec.rules[0].http.paths[0].pathType");
        var portless = Obj("""{"metadata":{"name":"web"},"spec":{"defaultBackend":{"service":{"name":"web"}}}}""");
        HasCause(ingresses.ValidateCreate(portless), "FieldValueRequired", "spec.defaultBackend.service.port");
        HasCause(ingresses.ValidateCreate(Obj("""{"metadata":{"name":"web"},"spec":{}}""")), "FieldValueInvalid", "spec.rules");
    }

    [Fact]
    public void Events_k8s_io_events_are_core_events_with_their_fields_renamed_both_ways()
    {
        var form = EventsV1Form.Resource.Storage!.Conversion;
        var core = Obj("""{"apiVersion":"v1","kind":"Event","metadata":{"name":"e1","namespace":"default"},"involvedObject":{"kind":"Pod","name":"web"},"reason":"Started","message":"Started container","source":{"component":"kubelet"},"firstTimestamp":"2026-01-01T00:00:00Z","lastTimestamp":"2026-01-01T00:01:00Z","count":2,"type":"Normal","reportingComponent":"kubelet","reportingInstance":"n1"}""");
        var served = form.FromStored(core);
        Assert.Equal("events.k8s.io/v1", Str(served["apiVersion"]));
        Assert.Equal("Started container", Str(served["note"]));
        Assert.Equal("web", Str(served["regarding"]!["name"]));
        Assert.Equal("kubelet", Str(served["deprecatedSource"]!["component"]));
        Assert.Equal(2, served["deprecatedCount"]!.GetValue<int>());
        Assert.Equal("2026-01-01T00:01:00Z", Str(served["deprecatedLastTimestamp"]));
        Assert.Equal("kubelet", Str(served["reportingController"]));
        Assert.Null(served["message"]);
        Assert.Equal(core.ToJsonString(), form.ToStored(served).ToJsonString());
        Assert.Equal("/registry/core/events/default/", Kybernet.ApiServer.Storage.ObjectStore.Prefix(EventsV1Form.Resource, "default"));
    }

    [Fact]
    public void Autoscaling_v1_hpas_are_the_v2_ones_with_cpu_utilization_as_their_one_metric()
    {
        var form = AutoscalingV1Form.Resource.Storage!.Conversion;
        Assert.Equal("/registry/autoscaling/horizontalpodautoscalers/default/", Kybernet.ApiServer.Storage.ObjectStore.Prefix(AutoscalingV1Form.Resource, "default"));
        var v1 = Obj("""{"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"web"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"web"},"maxReplicas":4,"targetCPUUtilizationPercentage":50},"status":{"currentReplicas":1,"desiredReplicas":1,"currentCPUUtilizationPercentage":20}}""");
        var v2 = form.ToStored(v1);
        Assert.Equal("autoscaling/v2", Str(v2["apiVersion"]));
        Assert.Null(v2["spec"]!["targetCPUUtilizationPercentage"]);
        Assert.Equal(HorizontalPodAutoscalerStrategy.CpuUtilization(50).ToJsonString(), v2["spec"]!["metrics"]![0]!.ToJsonString());
        Assert.Equal("20", v2["status"]!["currentMetrics"]![0]!["resource"]!["current"]!["averageUtilization"]!.ToJsonString());
        Assert.Equal(v1.ToJsonString(), form.FromStored(v2).ToJsonString());

        // What v1 cannot say (a memory metric) travels in upstream's annotation and comes back.
        var memory = Obj("""{"type":"Resource","resource":{"name":"memory","target":{"type":"AverageValue","averageValue":"100Mi"}}}""");
        v2["spec"]!["metrics"]!.AsArray().Add(memory);
        var shown = form.FromStored(v2);
        Assert.Equal("50", shown["spec"]!["targetCPUUtilizationPercentage"]!.ToJsonString());
        Assert.NotNull(shown["metadata"]!["annotations"]!["autoscaling.alpha.kubernetes.io/metrics"]);
        var back = form.ToStored(shown);
        Assert.Equal(2, back["spec"]!["metrics"]!.AsArray().Count);
        Assert.Null(back["metadata"]!["annotations"]);

        // No metric at all in v1 is v2's default, 80% CPU.
        var bare = form.ToStored(Obj("""{"metadata":{"name":"web"},"spec":{"maxReplicas":2}}"""));
        Assert.Equal(HorizontalPodAutoscalerStrategy.CpuUtilization(80).ToJsonString(), bare["spec"]!["metrics"]![0]!.ToJsonString());
    }
}
