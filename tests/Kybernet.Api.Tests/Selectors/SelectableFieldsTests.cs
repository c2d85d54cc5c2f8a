using System.Text.Json.Nodes;
using Kybernet.Api.Selectors;

namespace Kybernet.Api.Tests.Selectors;

public class SelectableFieldsTests
{
    private static JsonObject Json(string text) => JsonNode.Parse(text)!.AsObject();

    private static readonly JsonObject Pod = Json("""
        {"kind":"Pod","metadata":{"name":"web-1","namespace":"prod"},
         "spec":{"nodeName":"node-a","restartPolicy":"Always","schedulerName":"default-scheduler",
                 "serviceAccountName":"default","hostNetwork":true},
         "status":{"phase":"Running","podIP":"10.0.0.5","podIPs":[{"ip":"10.0.0.5"},{"ip":"fd00::5"}],
                   "nominatedNodeName":"node-b"}}
        """);

    private static readonly JsonObject Event = Json("""
        {"kind":"Event","metadata":{"name":"web-1.17","namespace":"prod"},
         "involvedObject":{"kind":"Pod","namespace":"prod","name":"web-1","uid":"u-1","apiVersion":"v1",
                           "resourceVersion":"42","fieldPath":"spec.containers{web}"},
         "reason":"Scheduled","type":"Normal","reportingComponent":"default-scheduler"}
        """);

    [Theory]
    [InlineData("metadata.name=web-1")]
    [InlineData("metadata.namespace=prod")]
    [InlineData("spec.nodeName=node-a")]
    [InlineData("spec.restartPolicy=Always")]
    [InlineData("spec.schedulerName=default-scheduler")]
    [InlineData("spec.serviceAccountName=default")]
    [InlineData("spec.hostNetwork=true")]
    [InlineData("status.phase=Running")]
    [InlineData("status.phase!=Succeeded,status.phase!=Failed")]
    [InlineData("status.podIP=10.0.0.5")]
    [InlineData("status.nominatedNodeName=node-b")]
    public void Pod_fields_match(string selector) => Assert.True(FieldSelector.Parse(selector).Matches(Pod, "Pod"));

    [Theory]
    [InlineData("spec.nodeName=node-b")]
    [InlineData("status.phase!=Running")]
    [InlineData("metadata.namespace=default")]
    public void Pod_fields_do_not_match(string selector) => Assert.False(FieldSelector.Parse(selector).Matches(Pod, "Pod"));

    [Theory]
    [InlineData("involvedObject.kind=Pod,involvedObject.namespace=prod,involvedObject.name=web-1,involvedObject.uid=u-1")]
    [InlineData("involvedObject.apiVersion=v1,involvedObject.resourceVersion=42")]
    [InlineData("involvedObject.fieldPath=spec.containers{web}")]
    [InlineData("reason=Scheduled,type=Normal,reportingComponent=default-scheduler")]
    [InlineData("source=default-scheduler")]
    [InlineData("metadata.name=web-1.17")]
    public void Event_fields_match(string selector) => Assert.True(FieldSelector.Parse(selector).Matches(Event, "Event"));

    [Fact]
    public void Event_source_prefers_source_component()
    {
        var ev = Json("""{"source":{"component":"kubelet"},"reportingComponent":"x"}""");
        Assert.True(FieldSelector.Parse("source=kubelet").Matches(ev, "Event"));
    }

    [Fact]
    public void Other_kinds_fields()
    {
        Assert.True(FieldSelector.Parse("type=kubernetes.io/tls").Matches(Json("""{"type":"kubernetes.io/tls"}"""), "Secret"));
        Assert.True(FieldSelector.Parse("spec.unschedulable=false").Matches(Json("""{"spec":{}}"""), "Node"));
        Assert.True(FieldSelector.Parse("spec.unschedulable=true").Matches(Json("""{"spec":{"unschedulable":true}}"""), "Node"));
        Assert.True(FieldSelector.Parse("status.phase=Active").Matches(Json("""{"status":{"phase":"Active"}}"""), "Namespace"));
        Assert.True(FieldSelector.Parse("status.replicas=0").Matches(Json("""{"status":{}}"""), "ReplicaSet"));
        Assert.True(FieldSelector.Parse("status.replicas=3").Matches(Json("""{"status":{"replicas":3}}"""), "ReplicationController"));
        Assert.True(FieldSelector.Parse("metadata.name=cfg").Matches(Json("""{"metadata":{"name":"cfg"}}"""), "ConfigMap"));
    }

    [Fact]
    public void Pod_ip_falls_back_to_status_pod_ip()
    {
        Assert.True(FieldSelector.Parse("status.podIP=10.1.1.1").Matches(Json("""{"status":{"podIP":"10.1.1.1"}}"""), "Pod"));
        Assert.True(FieldSelector.Parse("status.podIP=").Matches(Json("{}"), "Pod"));
    }

    [Theory]
    [InlineData("Pod", "spec.containers")]
    [InlineData("Pod", "type")]
    [InlineData("Secret", "status.phase")]
    [InlineData("ConfigMap", "data")]
    [InlineData("Deployment", "status.replicas")]
    [InlineData("Event", "spec.nodeName")]
    public void Unsupported_fields_are_refused(string kind, string field)
    {
        var selector = FieldSelector.Parse(field + "=x");
        Assert.Equal($"field label not supported: {field}",
            Assert.Throws<SelectorException>(() => selector.Matches(Json("{}"), kind)).Message);
        Assert.False(SelectableFields.IsSupported(kind, field));
    }

    [Theory]
    [InlineData("Pod", 10)]
    [InlineData("Event", 13)]
    [InlineData("Secret", 3)]
    [InlineData("Node", 3)]
    [InlineData("Namespace", 3)]
    [InlineData("ReplicaSet", 3)]
    [InlineData("ReplicationController", 3)]
    [InlineData("ConfigMap", 2)]
    public void Each_kind_lists_its_fields(string kind, int count)
    {
        var fields = SelectableFields.For(kind);
        Assert.Equal(count, fields.Count);
        Assert.Contains("metadata.name", fields);
        Assert.Contains("metadata.namespace", fields);
        Assert.All(fields, f => Assert.True(SelectableFields.IsSupported(kind, f)));
    }
}
