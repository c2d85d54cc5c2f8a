using System.Text.Json.Nodes;
using Kybernet.ApiServer.Protobuf;

namespace Kybernet.ApiServer.Tests.Protobuf;

/// <summary>
/// JSON -> protobuf -> JSON gives back the object, for every kind of the schema, with every field
/// of every message set (to values that are not zero, so nothing is dropped as unset).
/// </summary>
public sealed class RoundTripTests
{
    public static TheoryData<string, string> Kinds()
    {
        var data = new TheoryData<string, string>();
        foreach (var (apiVersion, kind) in ProtoSchema.Kubernetes.Kinds)
            data.Add(apiVersion == "*" ? "v1" : apiVersion, kind);
        return data;
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Every_field_of_every_kind_survives_a_round_trip(string apiVersion, string kind)
    {
        var schema = ProtoSchema.Kubernetes.ForKind(apiVersion, kind)!;
        var sample = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind };
        Fill(sample, schema, depth: 0);

        var decoded = RoundTrip(sample);

        Assert.True(JsonNode.DeepEquals(sample, decoded), $"{kind}:\nsent    {sample.ToJsonString()}\ndecoded {decoded.ToJsonString()}");
    }

    [Fact]
    public void The_schema_covers_the_kinds_served_and_being_added()
    {
        string[] expected =
        [
            "v1/Namespace", "v1/Node", "v1/Pod", "v1/Service", "v1/Endpoints", "v1/ReplicationController", "v1/ConfigMap", "v1/Secret",
            "v1/ServiceAccount", "v1/Event", "v1/PersistentVolumeClaim", "v1/PersistentVolume", "v1/ResourceQuota", "v1/LimitRange", "v1/Binding",
            "apps/v1/Deployment", "apps/v1/ReplicaSet", "apps/v1/DaemonSet", "apps/v1/StatefulSet", "batch/v1/Job", "batch/v1/CronJob",
            "policy/v1/PodDisruptionBudget", "policy/v1/Eviction", "autoscaling/v1/Scale", "autoscaling/v2/HorizontalPodAutoscaler",
            "events.k8s.io/v1/Event", "discovery.k8s.io/v1/EndpointSlice", "coordination.k8s.io/v1/Lease",
            "networking.k8s.io/v1/NetworkPolicy", "networking.k8s.io/v1/Ingress", "networking.k8s.io/v1/IngressClass",
            "scheduling.k8s.io/v1/PriorityClass", "rbac.authorization.k8s.io/v1/Role", "rbac.authorization.k8s.io/v1/ClusterRole",
            "rbac.authorization.k8s.io/v1/RoleBinding", "rbac.authorization.k8s.io/v1/ClusterRoleBinding",
            "authorization.k8s.io/v1/SelfSubjectAccessReview", "authorization.k8s.io/v1/SubjectAccessReview", "authorization.k8s.io/v1/SelfSubjectRulesReview",
            "authentication.k8s.io/v1/TokenRequest", "authentication.k8s.io/v1/TokenReview", "authentication.k8s.io/v1/SelfSubjectReview",
            "apps/v1/DeploymentList", "v1/PodList", "rbac.authorization.k8s.io/v1/ClusterRoleBindingList",
            "v1/Status", "apps/v1/DeleteOptions", "v1/WatchEvent",
        ];
        foreach (var name in expected)
        {
            int slash = name.LastIndexOf('/');
            Assert.True(ProtoSchema.Kubernetes.ForKind(name[..slash], name[(slash + 1)..]) is not null, $"no protobuf message for {name}");
        }
    }

    [Fact]
    public void The_special_types_have_their_json_forms()
    {
        var pod = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = new JsonObject
            {
                ["name"] = "p",
                ["creationTimestamp"] = "2024-05-06T07:08:09Z",
                ["managedFields"] = new JsonArray(new JsonObject { ["manager"] = "kubectl", ["fieldsType"] = "FieldsV1", ["fieldsV1"] = JsonNode.Parse("""{"f:metadata":{"f:labels":{".":{}}}}""") }),
            },
            ["spec"] = new JsonObject
            {
                ["containers"] = new JsonArray(new JsonObject
                {
                    ["name"] = "c",
                    ["resources"] = new JsonObject { ["limits"] = new JsonObject { ["cpu"] = "250m", ["memory"] = "64Mi" } },
                    ["livenessProbe"] = new JsonObject { ["httpGet"] = new JsonObject { ["port"] = "http", ["path"] = "/" } },
                    ["readinessProbe"] = new JsonObject { ["tcpSocket"] = new JsonObject { ["port"] = 8080 } },
                }),
                ["terminationGracePeriodSeconds"] = -1L, // a negative int64: ten bytes on the wire
            },
        };
        Assert.True(JsonNode.DeepEquals(pod, RoundTrip(pod)), RoundTrip(pod).ToJsonString());

        var lease = new JsonObject
        {
            ["apiVersion"] = "coordination.k8s.io/v1",
            ["kind"] = "Lease",
            ["metadata"] = new JsonObject { ["name"] = "n1" },
            ["spec"] = new JsonObject { ["renewTime"] = "2024-05-06T07:08:09.123456Z", ["leaseDurationSeconds"] = 40 },
        };
        Assert.True(JsonNode.DeepEquals(lease, RoundTrip(lease)), RoundTrip(lease).ToJsonString());
    }

    [Fact]
    public void A_watch_event_embeds_its_object_in_protobuf()
    {
        var configMap = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "c" }, ["data"] = new JsonObject { ["k"] = "v" } };
        using var writer = new ProtoWriter();
        KubernetesProtobuf.EncodeWatchEvent(writer, "ADDED", configMap);
        var event_ = ProtoToJson.Decode(writer.Written, ProtoSchema.Kubernetes.ForKind("v1", "WatchEvent")!);
        Assert.Equal("ADDED", event_["type"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(configMap, event_["object"]), event_.ToJsonString());
        // The object inside is a whole "k8s\0" envelope, which client-go's embedded decoder expects.
        Assert.Contains("k8s\0"u8.ToArray(), Enumerable.Range(0, writer.Length - 3).Select(i => writer.Written.Slice(i, 4).ToArray()), new BytesComparer());
    }

    private sealed class BytesComparer : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] obj) => obj.Length;
    }

    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(1_500_000_000L, "1.5s")]
    [InlineData(3_600_000_000_000L, "1h0m0s")]
    [InlineData(150_000_000_000L, "2m30s")]
    [InlineData(300_000_000L, "300ms")]
    [InlineData(1_500L, "1.5µs")]
    [InlineData(7L, "7ns")]
    [InlineData(-90_000_000_000L, "-1m30s")]
    public void Durations_read_and_write_as_go_does(long nanoseconds, string text)
    {
        Assert.Equal(text, GoDuration.Format(nanoseconds));
        Assert.Equal(nanoseconds, GoDuration.Parse(text));
    }

    private static JsonObject RoundTrip(JsonObject obj)
    {
        using var writer = new ProtoWriter(16); // small: growing the buffer and moving nested messages are exercised
        KubernetesProtobuf.Encode(writer, obj);
        return KubernetesProtobuf.Decode(writer.Written);
    }

    /// <summary>Sets every field of the message to a value of its type that is not zero.</summary>
    private static void Fill(JsonObject obj, ProtoMessageSchema schema, int depth)
    {
        foreach (var field in schema.Fields)
        {
            if (field.Inline)
            {
                Fill(obj, field.Message!, depth + 1);
                continue;
            }
            if (field.Type == ProtoType.Message && depth > 10)
                continue; // deep enough: the same messages were filled above
            if (field.Map)
                obj[field.JsonName] = new JsonObject { ["a"] = Sample(field, depth, 1), ["b.example/c"] = Sample(field, depth, 2) };
            else if (field.Repeated)
                obj[field.JsonName] = new JsonArray(Sample(field, depth, 1), Sample(field, depth, 2));
            else
                obj[field.JsonName] = Sample(field, depth, 0);
        }
    }

    private static JsonNode Sample(ProtoFieldSchema field, int depth, int variant) => field.Type switch
    {
        ProtoType.String => $"{field.JsonName}-{variant}",
        ProtoType.Int32 => field.Number * 10 + variant + 1,
        ProtoType.Int64 => (1L << 40) + field.Number * 10 + variant,
        ProtoType.Bool => true,
        ProtoType.Bytes => Convert.ToBase64String([1, 2, (byte)variant, 255]),
        ProtoType.Double => 1.5 + variant,
        ProtoType.Time => $"2024-05-06T07:08:0{variant}Z",
        ProtoType.MicroTime => $"2024-05-06T07:08:09.12345{variant}Z",
        ProtoType.Duration => $"1h2m{variant + 3}.5s",
        ProtoType.Fields => JsonNode.Parse("""{"f:metadata":{"f:name":{}}}""")!,
        ProtoType.IntOrString => (field.Number + variant) % 2 == 0 ? JsonValue.Create(8080 + variant) : JsonValue.Create($"port-{variant}"),
        ProtoType.Quantity => $"25{variant}m",
        ProtoType.Raw => new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = $"raw-{variant}" } },
        ProtoType.Strings => new JsonArray($"x-{variant}", "y"),
        ProtoType.Message => Message(field.Message!, depth + 1),
        _ => throw new InvalidOperationException(field.Type.ToString()),
    };

    private static JsonObject Message(ProtoMessageSchema schema, int depth)
    {
        var obj = new JsonObject();
        Fill(obj, schema, depth);
        return obj;
    }
}
