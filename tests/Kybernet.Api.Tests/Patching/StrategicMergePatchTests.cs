using System.Text.Json.Nodes;
using Kybernet.Api.Patching;

namespace Kybernet.Api.Tests.Patching;

public class StrategicMergePatchTests
{
    private static JsonNode? Apply(string original, string patch, string? kind = null) =>
        StrategicMergePatch.Apply(Json.Parse(original), Json.Object(patch), PatchSchema.Kubernetes, kind);

    private const string Pod = """
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"default"},
         "spec":{"containers":[
            {"name":"web","image":"nginx:1.26","ports":[{"containerPort":80,"protocol":"TCP"}],
             "env":[{"name":"A","value":"1"},{"name":"B","value":"2"}],
             "volumeMounts":[{"name":"data","mountPath":"/data"}]},
            {"name":"sidecar","image":"busybox","args":["sleep","3600"]},
            {"name":"logger","image":"fluentbit"}],
          "volumes":[{"name":"data","emptyDir":{}}],
          "tolerations":[{"key":"a","operator":"Exists"}]}}
        """;

    private static JsonArray Containers(JsonNode? pod) => (JsonArray)pod!["spec"]!["containers"]!;

    private static string[] Names(JsonArray list, string key = "name") =>
        list.Select(item => item![key]!.ToJsonString().Trim('"')).ToArray();

    [Fact]
    public void ContainerImageChangeByNameKeepsTheOtherContainersAndFields()
    {
        var result = Apply(Pod, """{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.36"}]}}""");
        var containers = Containers(result);
        Assert.Equal(["web", "sidecar", "logger"], Names(containers));
        Json.Equal("""{"name":"sidecar","image":"busybox:1.36","args":["sleep","3600"]}""", containers[1]);
        Assert.Equal("nginx:1.26", (string?)containers[0]!["image"]);
        Json.Equal("""[{"name":"data","emptyDir":{}}]""", result!["spec"]!["volumes"]);
    }

    [Fact]
    public void SetElementOrderOrdersTheMergedList()
    {
        var result = Apply(Pod, """
            {"spec":{"$setElementOrder/containers":[{"name":"logger"},{"name":"web"},{"name":"sidecar"}],
                     "containers":[{"name":"web","image":"nginx:1.27"}]}}
            """);
        Assert.Equal(["logger", "web", "sidecar"], Names(Containers(result)));
        Assert.Equal("nginx:1.27", (string?)Containers(result)[1]!["image"]);
    }

    [Fact]
    public void SetElementOrderWithoutTheListReordersTheOriginal()
    {
        var result = Apply(Pod, """{"spec":{"$setElementOrder/containers":[{"name":"sidecar"},{"name":"web"},{"name":"logger"}]}}""");
        Assert.Equal(["sidecar", "web", "logger"], Names(Containers(result)));
    }

    [Fact]
    public void SetElementOrderKeepsServerOnlyItemsInTheirPlace()
    {
        // The order names web, a new item, and logger; sidecar is only on the server.
        var result = Apply(Pod, """
            {"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"new"},{"name":"logger"}],
                     "containers":[{"name":"new","image":"x"}]}}
            """);
        Assert.Equal(["web", "sidecar", "new", "logger"], Names(Containers(result)));
    }

    [Fact]
    public void NewItemsWithoutAnOrderAreAppended()
    {
        var result = Apply(Pod, """{"spec":{"containers":[{"name":"extra","image":"x"},{"name":"web","image":"nginx:1.27"}]}}""");
        Assert.Equal(["web", "sidecar", "logger", "extra"], Names(Containers(result)));
    }

    [Fact]
    public void EnvMergesByName()
    {
        var result = Apply(Pod, """
            {"spec":{"containers":[{"name":"web","env":[{"name":"B","value":"two"},{"name":"C","value":"3"}]}]}}
            """);
        Json.Equal("""[{"name":"A","value":"1"},{"name":"B","value":"two"},{"name":"C","value":"3"}]""",
            Containers(result)[0]!["env"]);
    }

    [Fact]
    public void PortsMergeByContainerPortAndVolumeMountsByMountPath()
    {
        var result = Apply(Pod, """
            {"spec":{"containers":[{"name":"web",
                "ports":[{"containerPort":80,"name":"http"},{"containerPort":443}],
                "volumeMounts":[{"mountPath":"/data","readOnly":true}]}]}}
            """);
        Json.Equal("""[{"containerPort":80,"protocol":"TCP","name":"http"},{"containerPort":443}]""", Containers(result)[0]!["ports"]);
        Json.Equal("""[{"name":"data","mountPath":"/data","readOnly":true}]""", Containers(result)[0]!["volumeMounts"]);
    }

    [Fact]
    public void NullDeletesAField()
    {
        var result = Apply(Pod, """{"spec":{"tolerations":null,"containers":[{"name":"web","env":null,"image":null}]}}""");
        Assert.False(result!["spec"]!.AsObject().ContainsKey("tolerations"));
        Json.Equal("""{"name":"web","ports":[{"containerPort":80,"protocol":"TCP"}],"volumeMounts":[{"name":"data","mountPath":"/data"}]}""",
            Containers(result)[0]);
    }

    [Fact]
    public void PatchDeleteRemovesAListItem()
    {
        var result = Apply(Pod, """{"spec":{"containers":[{"$patch":"delete","name":"sidecar"}]}}""");
        Assert.Equal(["web", "logger"], Names(Containers(result)));
    }

    [Fact]
    public void PatchReplaceReplacesAList()
    {
        var result = Apply(Pod, """
            {"spec":{"containers":[{"name":"only","image":"x","env":[{"name":"E","value":null}]},{"$patch":"replace"}]}}
            """);
        Json.Equal("""[{"name":"only","image":"x","env":[{"name":"E"}]}]""", Containers(result));
    }

    [Fact]
    public void PatchReplaceReplacesAMap()
    {
        var result = Apply("""{"metadata":{"labels":{"a":"1","b":"2"},"name":"x"}}""",
            """{"metadata":{"labels":{"$patch":"replace","c":"3"}}}""");
        Json.Equal("""{"metadata":{"labels":{"c":"3"},"name":"x"}}""", result);
    }

    [Fact]
    public void PatchReplaceOnAListItemReplacesThatItem()
    {
        var result = Apply(Pod, """{"spec":{"containers":[{"$patch":"replace","name":"sidecar","image":"alpine"}]}}""");
        Json.Equal("""{"name":"sidecar","image":"alpine"}""", Containers(result)[1]);
        Assert.Equal(["web", "sidecar", "logger"], Names(Containers(result)));
    }

    [Fact]
    public void PatchDeleteOnAMapEmptiesItAsKubernetesDoes()
    {
        var result = Apply("""{"metadata":{"labels":{"a":"1"},"name":"x"}}""", """{"metadata":{"labels":{"$patch":"delete"}}}""");
        Json.Equal("""{"metadata":{"labels":{},"name":"x"}}""", result);
    }

    [Fact]
    public void PatchMergeIsTheDefault()
    {
        var result = Apply("""{"metadata":{"labels":{"a":"1"}}}""", """{"metadata":{"labels":{"$patch":"merge","b":"2"}}}""");
        Json.Equal("""{"metadata":{"labels":{"a":"1","b":"2"}}}""", result);
    }

    [Fact]
    public void RetainKeysDropsUnlistedFields()
    {
        // kubectl apply switching a Deployment from RollingUpdate to Recreate.
        var result = Apply("""
            {"kind":"Deployment","spec":{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%","maxUnavailable":"25%"}}}}
            """, """{"spec":{"strategy":{"$retainKeys":["type"],"type":"Recreate","rollingUpdate":null}}}""");
        Json.Equal("""{"kind":"Deployment","spec":{"strategy":{"type":"Recreate"}}}""", result);
    }

    [Fact]
    public void RetainKeysMustListEveryPatchedField()
    {
        var e = Assert.Throws<PatchException>(() =>
            Apply("""{"spec":{"strategy":{}}}""", """{"spec":{"strategy":{"$retainKeys":["type"],"rollingUpdate":{}}}}"""));
        Assert.Equal(PatchFailure.Unprocessable, e.Failure);
        Assert.Equal("""strategic merge patch at "spec.strategy": field "rollingUpdate" is in the patch but not in its $retainKeys list""", e.Message);
    }

    [Fact]
    public void FinalizersMergeAsASet()
    {
        var result = Apply("""{"metadata":{"finalizers":["a","b"]}}""", """{"metadata":{"finalizers":["c","a"]}}""", "ConfigMap");
        Json.Equal("""{"metadata":{"finalizers":["a","b","c"]}}""", result);
    }

    [Fact]
    public void DeleteFromPrimitiveList()
    {
        var result = Apply("""{"metadata":{"finalizers":["a","b","c"]}}""",
            """{"metadata":{"$deleteFromPrimitiveList/finalizers":["b"],"finalizers":["d"]}}""", "Pod");
        Json.Equal("""{"metadata":{"finalizers":["a","c","d"]}}""", result);

        var only = Apply("""{"metadata":{"finalizers":["a","b","c"]}}""",
            """{"metadata":{"$deleteFromPrimitiveList/finalizers":["a","c"]}}""", "Pod");
        Json.Equal("""{"metadata":{"finalizers":["b"]}}""", only);
    }

    [Fact]
    public void SetElementOrderOfAPrimitiveSet()
    {
        var result = Apply("""{"metadata":{"finalizers":["a","b"]}}""",
            """{"metadata":{"$setElementOrder/finalizers":["c","b","a"],"finalizers":["c"]}}""", "Pod");
        Json.Equal("""{"metadata":{"finalizers":["c","b","a"]}}""", result);
    }

    [Fact]
    public void UnknownListsAreReplacedWhole()
    {
        var result = Apply(Pod, """
            {"spec":{"tolerations":[{"key":"b","operator":"Exists"}],"containers":[{"name":"sidecar","args":["sleep","1"]}]}}
            """);
        Json.Equal("""[{"key":"b","operator":"Exists"}]""", result!["spec"]!["tolerations"]);
        Json.Equal("""["sleep","1"]""", Containers(result)[1]!["args"]);
        // Without a kind nothing merges: containers are replaced too.
        var kindless = StrategicMergePatch.Apply(Json.Parse("""{"spec":{"containers":[{"name":"a"},{"name":"b"}]}}"""),
            Json.Object("""{"spec":{"containers":[{"name":"b","image":"x"}]}}"""), PatchSchema.Kubernetes);
        Json.Equal("""{"spec":{"containers":[{"name":"b","image":"x"}]}}""", kindless);
    }

    [Fact]
    public void KindIsReadFromTheObjectWhenNotGiven()
    {
        var result = StrategicMergePatch.Apply(Json.Parse(Pod), Json.Object("""{"spec":{"containers":[{"name":"web","image":"y"}]}}"""),
            PatchSchema.Kubernetes);
        Assert.Equal(["web", "sidecar", "logger"], Names(Containers(result)));
    }

    [Fact]
    public void ServicePortsMergeByPort()
    {
        var result = Apply("""
            {"kind":"Service","spec":{"ports":[{"port":80,"targetPort":8080,"protocol":"TCP"},{"port":443,"protocol":"TCP"}],"selector":{"app":"a"}}}
            """, """{"spec":{"ports":[{"port":80,"targetPort":9090}],"selector":{"app":"b"}}}""");
        Json.Equal("""
            {"kind":"Service","spec":{"ports":[{"port":80,"targetPort":9090,"protocol":"TCP"},{"port":443,"protocol":"TCP"}],"selector":{"app":"b"}}}
            """, result);
    }

    [Fact]
    public void OwnerReferencesConditionsAndNodeAddressesMergeByTheirKeys()
    {
        var result = Apply("""
            {"kind":"Node","metadata":{"ownerReferences":[{"uid":"1","name":"a"}]},
             "status":{"conditions":[{"type":"Ready","status":"False"},{"type":"DiskPressure","status":"False"}],
                       "addresses":[{"type":"InternalIP","address":"10.0.0.1"},{"type":"Hostname","address":"n1"}]}}
            """, """
            {"metadata":{"ownerReferences":[{"uid":"2","name":"b"}]},
             "status":{"conditions":[{"type":"Ready","status":"True"}],"addresses":[{"type":"InternalIP","address":"10.0.0.2"}]}}
            """);
        Json.Equal("""
            {"kind":"Node","metadata":{"ownerReferences":[{"uid":"1","name":"a"},{"uid":"2","name":"b"}]},
             "status":{"conditions":[{"type":"Ready","status":"True"},{"type":"DiskPressure","status":"False"}],
                       "addresses":[{"type":"InternalIP","address":"10.0.0.2"},{"type":"Hostname","address":"n1"}]}}
            """, result);
    }

    [Theory]
    [InlineData("Deployment", "spec.template.spec")]
    [InlineData("ReplicaSet", "spec.template.spec")]
    [InlineData("ReplicationController", "spec.template.spec")]
    [InlineData("DaemonSet", "spec.template.spec")]
    [InlineData("StatefulSet", "spec.template.spec")]
    [InlineData("Job", "spec.template.spec")]
    [InlineData("CronJob", "spec.jobTemplate.spec.template.spec")]
    [InlineData("PodTemplate", "template.spec")]
    public void EveryPodTemplateKindGetsThePodRules(string kind, string specPath)
    {
        var schema = PatchSchema.Kubernetes;
        Assert.Equal(ListStrategy.ByKey("name"), schema.ListFor(kind, $"{specPath}.containers"));
        Assert.Equal(ListStrategy.ByKey("name"), schema.ListFor(kind, $"{specPath}.initContainers"));
        Assert.Equal(ListStrategy.ByKey("name"), schema.ListFor(kind, $"{specPath}.volumes"));
        Assert.Equal(ListStrategy.ByKey("containerPort"), schema.ListFor(kind, $"{specPath}.containers.ports"));
        Assert.Equal(ListStrategy.ByKey("name"), schema.ListFor(kind, $"{specPath}.initContainers.env"));
        Assert.Equal(ListStrategy.ByKey("mountPath"), schema.ListFor(kind, $"{specPath}.containers.volumeMounts"));
        Assert.Equal(ListStrategy.Set, schema.ListFor(kind, "metadata.finalizers"));
        Assert.Equal(ListStrategy.Replace, schema.ListFor(kind, $"{specPath}.tolerations"));
        Assert.Equal(ListStrategy.Replace, schema.ListFor("Service", $"{specPath}.containers"));
    }

    [Fact]
    public void AListItemWithoutItsMergeKeyIsRejected()
    {
        var e = Assert.Throws<PatchException>(() => Apply(Pod, """{"spec":{"containers":[{"image":"x"}]}}"""));
        Assert.Equal(PatchFailure.Unprocessable, e.Failure);
        Assert.Equal("""strategic merge patch at "spec.containers": list item {"image":"x"} does not contain the merge key "name" """.TrimEnd(), e.Message);
    }

    [Theory]
    [InlineData("""{"metadata":{"labels":{"$patch":"explode"}}}""", """unknown $patch directive "explode" """)]
    [InlineData("""{"metadata":{"$retainKeys":"labels"}}""", "$retainKeys must be a list of field names")]
    [InlineData("""{"spec":{"$setElementOrder/containers":{"name":"web"}}}""", "$setElementOrder/containers must be a list")]
    [InlineData("""{"metadata":{"finalizers":[{"a":1}]}}""", "a list merged as a set holds only primitive values")]
    public void MalformedDirectivesAreBadRequests(string patch, string message)
    {
        var e = Assert.Throws<PatchException>(() => Apply(Pod, patch));
        Assert.Equal(PatchFailure.BadRequest, e.Failure);
        Assert.Contains(message.TrimEnd(), e.Message);
    }

    [Fact]
    public void InputsAreNotModified()
    {
        var original = Json.Parse(Pod);
        var patch = Json.Object("""{"spec":{"containers":[{"$patch":"delete","name":"web"}],"volumes":null}}""");
        var before = (original!.ToJsonString(), patch.ToJsonString());
        StrategicMergePatch.Apply(original, patch, PatchSchema.Kubernetes);
        Assert.Equal(before, (original.ToJsonString(), patch.ToJsonString()));
    }

    private const string Deployment = """
        {
          "apiVersion": "apps/v1",
          "kind": "Deployment",
          "metadata": {
            "name": "web",
            "namespace": "default",
            "uid": "6a1b2c3d-0000-4000-8000-000000000001",
            "resourceVersion": "1042",
            "generation": 1,
            "creationTimestamp": "2025-01-01T00:00:00Z",
            "labels": {"app": "web"},
            "annotations": {
              "deployment.kubernetes.io/revision": "1",
              "kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"annotations\":{},\"labels\":{\"app\":\"web\"},\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"image\":\"nginx:1.26\",\"name\":\"web\"}]}}}}\n"
            }
          },
          "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
              "metadata": {"creationTimestamp": null, "labels": {"app": "web"}},
              "spec": {
                "containers": [
                  {
                    "name": "web",
                    "image": "nginx:1.26",
                    "ports": [{"containerPort": 80, "protocol": "TCP"}],
                    "resources": {},
                    "terminationMessagePath": "/dev/termination-log",
                    "terminationMessagePolicy": "File",
                    "imagePullPolicy": "IfNotPresent"
                  }
                ],
                "restartPolicy": "Always",
                "terminationGracePeriodSeconds": 30,
                "dnsPolicy": "ClusterFirst",
                "securityContext": {},
                "schedulerName": "default-scheduler"
              }
            },
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
            "revisionHistoryLimit": 10,
            "progressDeadlineSeconds": 600
          },
          "status": {
            "observedGeneration": 1,
            "replicas": 1,
            "updatedReplicas": 1,
            "readyReplicas": 1,
            "availableReplicas": 1,
            "conditions": [
              {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
              {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}
            ]
          }
        }
        """;

    [Fact]
    public void KubectlApplyPatchForReplicasImageAndLabels()
    {
        const string lastApplied = """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"annotations":{},"labels":{"app":"web","tier":"web"},"name":"web","namespace":"default"},"spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx:1.27","name":"web"}]}}}}""";
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["annotations"] = new JsonObject { ["kubectl.kubernetes.io/last-applied-configuration"] = lastApplied + "\n" },
                ["labels"] = new JsonObject { ["tier"] = "web" },
            },
            ["spec"] = Json.Parse("""
                {"replicas":3,"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":[{"image":"nginx:1.27","name":"web"}]}}}
                """),
        };
        // Exactly the shape kubectl 1.32 sends.
        Assert.Equal(
            """{"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"LA"},"labels":{"tier":"web"}},"spec":{"replicas":3,"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],"containers":[{"image":"nginx:1.27","name":"web"}]}}}}""",
            patch.ToJsonString().Replace(patch["metadata"]!["annotations"]!.AsObject().First().Value!.ToJsonString(), "\"LA\""));

        var result = StrategicMergePatch.Apply(Json.Parse(Deployment), patch, PatchSchema.Kubernetes, "Deployment");

        var expected = Json.Parse(Deployment)!;
        expected["metadata"]!["annotations"]!["kubectl.kubernetes.io/last-applied-configuration"] = lastApplied + "\n";
        expected["metadata"]!["labels"]!["tier"] = "web";
        expected["spec"]!["replicas"] = 3;
        expected["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] = "nginx:1.27";
        Json.Equal(expected.ToJsonString(), result);
        Assert.Null(result!["spec"]!["template"]!["spec"]!.AsObject()["$setElementOrder/containers"]);
        Assert.False(result["spec"]!["template"]!["spec"]!.AsObject().ContainsKey("$setElementOrder/containers"));
    }

    [Fact]
    public void KubectlApplyPatchThatRemovesEnvAndASidecar()
    {
        var original = Json.Object(Deployment);
        var containers = (JsonArray)original["spec"]!["template"]!["spec"]!["containers"]!;
        containers[0]!["env"] = Json.Parse("""[{"name":"MODE","value":"debug"}]""");
        containers.Add(Json.Parse("""{"name":"sidecar","image":"busybox","args":["sleep","infinity"]}"""));

        var patch = Json.Object("""
            {"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"}],
              "containers":[{"env":null,"name":"web"},{"$patch":"delete","name":"sidecar"}]}}}}
            """);
        var result = StrategicMergePatch.Apply(original, patch, PatchSchema.Kubernetes);

        var expected = Json.Parse(Deployment);
        Json.Equal(expected!.ToJsonString(), result);
    }
}
