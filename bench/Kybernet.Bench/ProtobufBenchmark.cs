using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kybernet.ApiServer.Protobuf;

namespace Kybernet.Bench;

/// <summary>
/// The API server's protobuf codec against its JSON path, in one run, for a Pod and a Deployment as
/// the server stores them: decode (bytes -> the JsonObject the server works with) and encode
/// (JsonObject -> bytes), time and allocations per object, and the sizes. The JSON baseline is
/// System.Text.Json's JsonNode parse and Utf8JsonWriter output, what the server does for JSON.
/// </summary>
public static class ProtobufBenchmark
{
    public static int Run(string[] args)
    {
        int iterations = args.Length > 0 ? int.Parse(args[0]) : 20000;
        Console.WriteLine($"| object | JSON bytes | protobuf bytes | JSON decode+encode (µs) | protobuf decode+encode (µs) | protobuf / JSON time | JSON alloc (KB) | protobuf alloc (KB) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var (name, obj) in new[] { ("Pod", Pod()), ("Deployment", Deployment()) })
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(obj);
            byte[] proto;
            using (var w = new ProtoWriter())
            {
                KubernetesProtobuf.Encode(w, obj);
                proto = w.ToArray();
            }
            if (!JsonNode.DeepEquals(obj, KubernetesProtobuf.Decode(proto)))
                throw new InvalidOperationException($"{name} does not survive a protobuf round trip");

            var tree = (JsonObject)obj.DeepClone(); // materialized, as the server's objects are once it has touched them
            var (jsonDecode, _) = Measure(iterations, () => JsonNode.Parse(json)!.AsObject().Count.ToString());
            var (protoDecode, _) = Measure(iterations, () => KubernetesProtobuf.Decode(proto).Count.ToString());
            var (jsonEncode, _) = Measure(iterations, () =>
            {
                var buffer = new System.Buffers.ArrayBufferWriter<byte>(json.Length);
                using var writer = new Utf8JsonWriter(buffer);
                tree.WriteTo(writer);
            });
            var (protoEncode, _) = Measure(iterations, () =>
            {
                using var writer = new ProtoWriter(proto.Length);
                KubernetesProtobuf.Encode(writer, tree);
            });
            Console.Error.WriteLine($"{name}: decode json {jsonDecode:F1} proto {protoDecode:F1}; encode json {jsonEncode:F1} proto {protoEncode:F1}");
            var (jsonMicros, jsonAlloc) = Measure(iterations, () =>
            {
                var node = JsonNode.Parse(json)!;
                var buffer = new System.Buffers.ArrayBufferWriter<byte>(json.Length);
                using var writer = new Utf8JsonWriter(buffer);
                node.WriteTo(writer);
            });
            var (protoMicros, protoAlloc) = Measure(iterations, () =>
            {
                var node = KubernetesProtobuf.Decode(proto);
                using var writer = new ProtoWriter(proto.Length);
                KubernetesProtobuf.Encode(writer, node);
            });
            Console.WriteLine($"| {name} | {json.Length} | {proto.Length} | {jsonMicros:F1} | {protoMicros:F1} | {protoMicros / jsonMicros:F2}x | {jsonAlloc / 1024:F1} | {protoAlloc / 1024:F1} |");
        }
        return 0;
    }

    /// <summary>Median of five rounds of time per operation (µs), and bytes allocated per operation, after a warm-up.</summary>
    private static (double Micros, double AllocatedBytes) Measure(int iterations, Action operation)
    {
        for (int i = 0; i < iterations / 10; i++)
            operation();
        var rounds = new List<double>();
        long allocated = 0;
        for (int round = 0; round < 5; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < iterations; i++)
                operation();
            rounds.Add(clock.Elapsed.TotalMicroseconds / iterations);
            allocated = (GC.GetAllocatedBytesForCurrentThread() - before) / iterations;
        }
        rounds.Sort();
        return (rounds[2], allocated);
    }

    private static JsonObject Pod() => (JsonObject)JsonNode.Parse("""
        {"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-7d4b9c8f6d-x2k4p","generateName":"web-7d4b9c8f6d-","namespace":"default",
        "uid":"0f4c1a52-6d7e-4b1e-9a3c-2b1d5e6f7a8b","resourceVersion":"123456","creationTimestamp":"2024-05-06T07:08:09Z",
        "labels":{"app":"web","pod-template-hash":"7d4b9c8f6d"},"annotations":{"kubernetes.io/config.seen":"2024-05-06T07:08:09Z"},
        "ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web-7d4b9c8f6d","uid":"1a2b3c4d-5e6f-7a8b-9c0d-1e2f3a4b5c6d","controller":true,"blockOwnerDeletion":true}]},
        "spec":{"volumes":[{"name":"kube-api-access-abcde","projected":{"sources":[{"serviceAccountToken":{"expirationSeconds":3607,"path":"token"}},
        {"configMap":{"name":"kube-root-ca.crt","items":[{"key":"ca.crt","path":"ca.crt"}]}}],"defaultMode":420}}],
        "containers":[{"name":"nginx","image":"nginx:1.27","ports":[{"name":"http","containerPort":80,"protocol":"TCP"}],
        "env":[{"name":"MODE","value":"production"},{"name":"POD_IP","valueFrom":{"fieldRef":{"apiVersion":"v1","fieldPath":"status.podIP"}}}],
        "resources":{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"250m","memory":"64Mi"}},
        "volumeMounts":[{"name":"kube-api-access-abcde","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],
        "livenessProbe":{"httpGet":{"path":"/healthz","port":"http","scheme":"HTTP"},"initialDelaySeconds":5,"timeoutSeconds":1,"periodSeconds":10,"successThreshold":1,"failureThreshold":3},
        "terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],
        "restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default","serviceAccount":"default",
        "nodeName":"node-1","securityContext":{},"schedulerName":"default-scheduler",
        "tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true,"preemptionPolicy":"PreemptLowerPriority"},
        "status":{"phase":"Running","conditions":[{"type":"Ready","status":"True","lastTransitionTime":"2024-05-06T07:08:12Z"},
        {"type":"PodScheduled","status":"True","lastTransitionTime":"2024-05-06T07:08:09Z"}],"hostIP":"10.0.0.11","podIP":"10.244.1.7","podIPs":[{"ip":"10.244.1.7"}],
        "startTime":"2024-05-06T07:08:09Z","containerStatuses":[{"name":"nginx","state":{"running":{"startedAt":"2024-05-06T07:08:11Z"}},"lastState":{},
        "ready":true,"restartCount":0,"image":"nginx:1.27","imageID":"docker.io/library/nginx@sha256:0123456789abcdef","containerID":"containerd://abcdef0123456789","started":true}],"qosClass":"Burstable"}}
        """)!;

    private static JsonObject Deployment() => (JsonObject)JsonNode.Parse("""
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"default","uid":"9a8b7c6d-5e4f-3a2b-1c0d-9e8f7a6b5c4d",
        "resourceVersion":"123400","generation":3,"creationTimestamp":"2024-05-06T07:00:00Z","labels":{"app":"web"},
        "annotations":{"deployment.kubernetes.io/revision":"2"}},
        "spec":{"replicas":3,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},
        "spec":{"containers":[{"name":"nginx","image":"nginx:1.27","ports":[{"containerPort":80,"protocol":"TCP"}],
        "resources":{"limits":{"cpu":"500m","memory":"128Mi"}},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}],
        "restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","securityContext":{},"schedulerName":"default-scheduler"}},
        "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":"25%","maxSurge":"25%"}},"revisionHistoryLimit":10,"progressDeadlineSeconds":600},
        "status":{"observedGeneration":3,"replicas":3,"updatedReplicas":3,"readyReplicas":3,"availableReplicas":3,
        "conditions":[{"type":"Available","status":"True","lastUpdateTime":"2024-05-06T07:01:00Z","lastTransitionTime":"2024-05-06T07:01:00Z","reason":"MinimumReplicasAvailable","message":"Deployment has minimum availability."},
        {"type":"Progressing","status":"True","lastUpdateTime":"2024-05-06T07:05:00Z","lastTransitionTime":"2024-05-06T07:00:00Z","reason":"NewReplicaSetAvailable","message":"ReplicaSet \"web-7d4b9c8f6d\" has successfully progressed."}]}}
        """)!;
}
