using System.Text.Json.Nodes;
using Kybernet.ApiServer.Protobuf;

namespace Kybernet.ApiServer.Tests.Protobuf;

/// <summary>
/// What the real kubectl sends, byte for byte (Captured/*.hex, recorded from kubectl -v=9 against
/// the test server; KYBERNET_RECAPTURE=1 records them anew), decoded to the JSON object the same
/// command would make, field by field.
/// </summary>
public sealed class CapturedRequestTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    /// <summary>The commands that send protobuf (`kubectl run` and `expose` send JSON: they build unstructured objects).</summary>
    public static TheoryData<string, string[]> Generators => new()
    {
        { "deployment", ["create", "deployment", "web", "--image=nginx", "--replicas=2", "--port=80"] },
        { "service-nodeport", ["create", "service", "nodeport", "np", "--tcp=80:8080", "--node-port=30080"] },
        { "serviceaccount", ["create", "serviceaccount", "robot"] },
        { "job", ["create", "job", "once", "--image=busybox", "--", "date"] },
        { "cronjob", ["create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *", "--", "date"] },
        { "role", ["create", "role", "reader", "--verb=get,list", "--resource=pods,configmaps"] },
        { "pdb", ["create", "poddisruptionbudget", "guard", "--selector=app=web", "--min-available=50%"] },
        { "priorityclass", ["create", "priorityclass", "high", "--value=1000", "--description=important", "--preemption-policy=Never"] },
        { "ingress", ["create", "ingress", "web", "--class=default", "--rule=example.com/=web:80"] },
        { "quota", ["create", "quota", "small", "--hard=cpu=1,memory=1Gi,pods=4"] },
        { "autoscale", ["autoscale", "deployment", "scaled", "--min=2", "--max=5", "--cpu-percent=80"] },
    };

    /// <summary>What a command needs to exist before it sends its body (autoscale reads its target first).</summary>
    private void Prepare(string name)
    {
        if (name == "autoscale")
            server.Kubectl.Run("create", "deployment", "scaled", "--image=nginx");
    }

    [Theory]
    [MemberData(nameof(Generators))]
    public void Kubectl_sends_the_captured_bytes(string name, string[] args)
    {
        Prepare(name);
        var result = server.Kubectl.Run(["-v=9", .. args]);
        var sent = RequestCapture.FromLog(result.Stderr).LastOrDefault(r => r.Method == "POST" && r.Body.Length > 0);
        Assert.True(sent is not null, $"no protobuf POST in kubectl's log: {result}");
        Check(name, string.Join(' ', args), sent);
    }

    /// <summary>kubectl create token sends a TokenRequest (authentication.k8s.io/v1) to serviceaccounts/NAME/token.</summary>
    [Fact]
    public void Kubectl_create_token_sends_the_captured_token_request()
    {
        string[] args = ["create", "token", "robot", "--duration=10m", "--audience=api"];
        var result = server.Kubectl.Run(["-v=9", .. args]);
        var sent = RequestCapture.FromLog(result.Stderr).LastOrDefault(r => r.Method == "POST" && r.Body.Length > 0);
        Assert.True(sent is not null, $"no protobuf POST in kubectl's log: {result}");
        Assert.EndsWith("/serviceaccounts/robot/token", new Uri(sent.Url).AbsolutePath);
        Check("tokenrequest", string.Join(' ', args), sent);
    }

    /// <summary>kubectl drain deletes pods (with --disable-eviction) sending DeleteOptions in protobuf.</summary>
    [Fact]
    public void Kubectl_drain_sends_the_captured_delete_options()
    {
        var k = server.Kubectl;
        k.OkWith("""{"apiVersion":"v1","kind":"Node","metadata":{"name":"drained"}}""", "apply", "-f", "-");
        k.OkWith("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"lonely","namespace":"default"},"spec":{"nodeName":"drained","containers":[{"name":"c","image":"busybox"}]}}""", "apply", "-f", "-");
        string[] args = ["drain", "drained", "--disable-eviction", "--force", "--grace-period=7", "--timeout=5s"];
        var result = k.Run(["-v=9", .. args]);
        var sent = RequestCapture.FromLog(result.Stderr).FirstOrDefault(r => r.Method == "DELETE" && r.Body.Length > 0);
        Assert.True(sent is not null, $"no protobuf DELETE in kubectl's log: {result}");
        Check("deleteoptions", string.Join(' ', args), sent);
    }

    /// <summary>kubectl drain evicts pods: policy/v1 Eviction, with DeleteOptions inside (through <see cref="EvictionRecorder"/>).</summary>
    [Fact]
    public void Kubectl_drain_sends_the_captured_eviction()
    {
        var k = server.Kubectl;
        k.OkWith("""{"apiVersion":"v1","kind":"Node","metadata":{"name":"evicted"}}""", "apply", "-f", "-");
        k.OkWith("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"guest","namespace":"default"},"spec":{"nodeName":"evicted","containers":[{"name":"c","image":"busybox"}]}}""", "apply", "-f", "-");
        using var recorder = new EvictionRecorder(server);
        var viaRecorder = new Kubectl(recorder.KubeconfigPath, Path.Combine(server.DataDirectory, "home-recorder"));
        string[] args = ["drain", "evicted", "--force", "--grace-period=9", "--timeout=20s"];
        var result = viaRecorder.Run(args);
        Assert.True(result.ExitCode == 0, result.ToString());
        var sent = Assert.Single(recorder.Evictions);
        Check("eviction", string.Join(' ', args), sent);
        // A fact worth knowing: kubectl 1.32 sends the Eviction itself as JSON (client-go's eviction
        // expansion), while drain --disable-eviction's DeleteOptions go in protobuf (above).
        Assert.Equal((byte)'{', sent.Body[0]);
        Assert.Equal(9, JsonNode.Parse(sent.Body)!["deleteOptions"]!["gracePeriodSeconds"]!.GetValue<int>());
        Assert.Contains("NotFound", k.Run("get", "pod", "guest", "-n", "default").Stderr);
    }

    private static void Check(string name, string command, CapturedRequest sent)
    {
        var file = Path.Combine(RequestCapture.Directory(), name + ".hex");
        if (Environment.GetEnvironmentVariable("KYBERNET_RECAPTURE") == "1")
            File.WriteAllText(file, RequestCapture.Format(command, sent));
        Assert.Equal(Convert.ToHexString(RequestCapture.Read(name)), Convert.ToHexString(sent.Body));
    }

    /// <summary>
    /// The decoding agrees with kubectl itself: the generator's object printed as JSON by kubectl
    /// (--dry-run=client -o json) is the object decoded from the protobuf it sends, nulls aside.
    /// </summary>
    [Theory]
    [MemberData(nameof(Generators))]
    public void Decoded_bodies_equal_what_kubectl_prints_as_json(string name, string[] args)
    {
        Prepare(name);
        int command = Array.IndexOf(args, "--") is var dashes and >= 0 ? dashes : args.Length; // flags go before the container's command
        var printed = JsonNode.Parse(server.Kubectl.Ok([.. args[..command], "--dry-run=client", "-o", "json", .. args[command..]]))!;
        WithoutNulls(printed);
        var decoded = KubernetesProtobuf.Decode(RequestCapture.Read(name));
        Assert.True(JsonNode.DeepEquals(printed, decoded), $"{name}:\nkubectl  {printed.ToJsonString()}\ndecoded  {decoded.ToJsonString()}");
    }

    private static void WithoutNulls(JsonNode node)
    {
        if (node is JsonObject obj)
        {
            foreach (var key in obj.Where(p => p.Value is null).Select(p => p.Key).ToList())
                obj.Remove(key);
            foreach (var (_, value) in obj)
                WithoutNulls(value!);
        }
        else if (node is JsonArray list)
            foreach (var item in list)
                if (item is not null) WithoutNulls(item);
    }

    [Theory]
    [MemberData(nameof(Expected))]
    public void Captured_bodies_decode_to_what_kubectl_meant(string name, string json)
    {
        var decoded = KubernetesProtobuf.Decode(RequestCapture.Read(name));
        var expected = JsonNode.Parse(json)!;
        Assert.True(JsonNode.DeepEquals(expected, decoded), $"{name}:\nexpected {expected.ToJsonString()}\ndecoded  {decoded.ToJsonString()}");
    }

    /// <summary>
    /// What the same commands send as JSON (kubectl create ... -o json --dry-run=client), apart from
    /// what JSON writes as null (creationTimestamp): Go's JSON keeps the non-omitempty zeros (the
    /// PodDisruptionBudget's status counts), the empty structs ("resources": {}, "status": {}) and
    /// the empty strings inside lists (apiGroups [""]), and omits the other zeros.
    /// </summary>
    public static TheoryData<string, string> Expected => new()
    {
        { "cronjob", """{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"tick"},"spec":{"schedule":"*/5 * * * *","jobTemplate":{"metadata":{"name":"tick"},"spec":{"template":{"metadata":{},"spec":{"containers":[{"name":"tick","image":"busybox","command":["date"],"resources":{}}],"restartPolicy":"OnFailure"}}}}},"status":{}}""" },
        { "deleteoptions", """{"apiVersion":"v1","kind":"DeleteOptions","gracePeriodSeconds":7}""" },
        { "deployment", """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{"app":"web"}},"spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx","ports":[{"containerPort":80}],"resources":{}}]}},"strategy":{}},"status":{}}""" },
        { "ingress", """{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","metadata":{"name":"web"},"spec":{"rules":[{"host":"example.com","http":{"paths":[{"path":"/","backend":{"service":{"name":"web","port":{"number":80}}},"pathType":"Exact"}]}}],"ingressClassName":"default"},"status":{"loadBalancer":{}}}""" },
        { "job", """{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"once"},"spec":{"template":{"metadata":{},"spec":{"containers":[{"name":"once","image":"busybox","command":["date"],"resources":{}}],"restartPolicy":"Never"}}},"status":{}}""" },
        { "pdb", """{"apiVersion":"policy/v1","kind":"PodDisruptionBudget","metadata":{"name":"guard"},"spec":{"minAvailable":"50%","selector":{"matchLabels":{"app":"web"}}},"status":{"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,"expectedPods":0}}""" },
        { "priorityclass", """{"apiVersion":"scheduling.k8s.io/v1","kind":"PriorityClass","metadata":{"name":"high"},"value":1000,"description":"important","preemptionPolicy":"Never"}""" },
        { "quota", """{"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"small"},"spec":{"hard":{"cpu":"1","memory":"1Gi","pods":"4"}},"status":{}}""" },
        { "role", """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"reader"},"rules":[{"verbs":["get","list"],"apiGroups":[""],"resources":["pods","configmaps"]}]}""" },
        { "service-nodeport", """{"apiVersion":"v1","kind":"Service","metadata":{"name":"np","labels":{"app":"np"}},"spec":{"ports":[{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080,"nodePort":30080}],"selector":{"app":"np"},"type":"NodePort"},"status":{"loadBalancer":{}}}""" },
        { "serviceaccount", """{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"robot"}}""" },
        { "autoscale", """{"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"scaled"},"spec":{"scaleTargetRef":{"kind":"Deployment","name":"scaled","apiVersion":"apps/v1"},"minReplicas":2,"maxReplicas":5,"targetCPUUtilizationPercentage":80},"status":{"currentReplicas":0,"desiredReplicas":0}}""" },
        { "tokenrequest", """{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","metadata":{},"spec":{"audiences":["api"],"expirationSeconds":600},"status":{"token":""}}""" },
    };
}
