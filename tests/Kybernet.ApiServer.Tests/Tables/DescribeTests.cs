namespace Kybernet.ApiServer.Tests.Tables;

/// <summary>`kubectl describe` of every kind the server serves (describe makes its own follow-up requests per kind).</summary>
public sealed class DescribeTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private readonly Kubectl _k = server.Kubectl;

    [Fact]
    public void Every_kind_can_be_created_listed_and_described()
    {
        var ns = "describe-all";
        _k.OkWith(Manifests.Namespace(ns), "create", "-f", "-");
        _k.OkWith($$$"""
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Node
              metadata: {name: node-1, labels: {node-role.kubernetes.io/worker: ""}}
              status:
                addresses: [{type: InternalIP, address: 192.168.200.11}]
                conditions: [{type: Ready, status: "True", reason: KubeletReady, message: ready}]
                nodeInfo: {kubeletVersion: v1.32.4-kybernet, osImage: Debian 12, kernelVersion: "6.18", containerRuntimeVersion: kybernet://0.1,
                           architecture: amd64, operatingSystem: linux, bootID: x, machineID: x, systemUUID: x, kubeProxyVersion: v1.32.4}
            - apiVersion: coordination.k8s.io/v1
              kind: Lease
              metadata: {name: node-1, namespace: kube-node-lease}
              spec: {holderIdentity: node-1, leaseDurationSeconds: 40}
            - apiVersion: v1
              kind: ServiceAccount
              metadata: {name: builder, namespace: {{{ns}}}}
            - apiVersion: v1
              kind: ReplicationController
              metadata: {name: rc, namespace: {{{ns}}}}
              spec:
                replicas: 1
                template:
                  metadata: {labels: {app: rc}}
                  spec: {containers: [{name: c, image: busybox}]}
            - apiVersion: apps/v1
              kind: ReplicaSet
              metadata: {name: rs, namespace: {{{ns}}}}
              spec:
                replicas: 1
                selector: {matchLabels: {app: rs}}
                template:
                  metadata: {labels: {app: rs}}
                  spec: {containers: [{name: c, image: busybox}]}
            - apiVersion: v1
              kind: Endpoints
              metadata: {name: web, namespace: {{{ns}}}}
              subsets: [{addresses: [{ip: 10.244.1.5}], ports: [{port: 8080}]}]
            - apiVersion: discovery.k8s.io/v1
              kind: EndpointSlice
              metadata: {name: web-abc, namespace: {{{ns}}}, labels: {kubernetes.io/service-name: web}}
              addressType: IPv4
              endpoints: [{addresses: [10.244.1.5], conditions: {ready: true}}]
              ports: [{port: 8080, protocol: TCP}]
            - apiVersion: networking.k8s.io/v1
              kind: NetworkPolicy
              metadata: {name: deny, namespace: {{{ns}}}}
              spec: {podSelector: {matchLabels: {app: web}}, policyTypes: [Ingress]}
            """, "create", "-f", "-");
        _k.OkWith(Manifests.Pod(ns, "on-node"), "create", "-f", "-");

        var node = _k.Ok("describe", "node", "node-1");
        Assert.Contains("InternalIP:  192.168.200.11", node);
        Assert.Matches(@"node-1\s+Ready\s+worker\s+\d+s\s+v1\.32\.4-kybernet", _k.Ok("get", "nodes"));
        Assert.Matches(@"192\.168\.200\.11\s+<none>\s+Debian 12", _k.Ok("get", "nodes", "-o", "wide"));
        Assert.Contains("Holder Identity", _k.Ok("describe", "lease", "node-1", "-n", "kube-node-lease"));
        Assert.Contains("Name:", _k.Ok("describe", "serviceaccount", "builder", "-n", ns));
        Assert.Contains("Replicas:", _k.Ok("describe", "rc", "rc", "-n", ns));
        Assert.Contains("Replicas:", _k.Ok("describe", "rs", "rs", "-n", ns));
        Assert.Contains("10.244.1.5", _k.Ok("describe", "endpoints", "web", "-n", ns));
        Assert.Contains("10.244.1.5", _k.Ok("describe", "endpointslice", "web-abc", "-n", ns));
        Assert.Contains("PodSelector:", _k.Ok("describe", "networkpolicy", "deny", "-n", ns));
        Assert.Matches(@"web\s+10\.244\.1\.5:8080", _k.Ok("get", "endpoints", "-n", ns));
        Assert.Matches(@"web-abc\s+IPv4\s+8080\s+10\.244\.1\.5", _k.Ok("get", "endpointslices", "-n", ns));
        Assert.Matches(@"rs\s+1\s+[01]\s+0", _k.Ok("get", "rs", "-n", ns)); // CURRENT: its controller may have made the pod by now

        Assert.Contains("replicationcontroller/rc scaled", _k.Ok("scale", "rc", "rc", "-n", ns, "--replicas=3"));
        Assert.Contains("replicaset.apps/rs scaled", _k.Ok("scale", "rs", "rs", "-n", ns, "--replicas=2"));
        Assert.Equal("3", _k.Ok("get", "rc", "rc", "-n", ns, "-o", "jsonpath={.spec.replicas}"));

        var all = _k.Ok("get", "all", "-n", ns);
        Assert.Contains("pod/on-node", all);
        Assert.Contains("replicationcontroller/rc", all);
        Assert.Contains("replicaset.apps/rs", all);
    }
}
