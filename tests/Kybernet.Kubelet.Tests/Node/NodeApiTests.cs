using System.Net;
using k8s;
using k8s.Models;
using Kybernet.ApiServer.Security;
using Kybernet.Client;
using Kybernet.Controllers.Tests;
using Kybernet.Kubelet.Node;
using Kybernet.Overlay.Subnets;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Kubelet.Tests.Node;

/// <summary>The node part of the kubelet against the real API server, as the node itself (system:node:NAME), read back with the real kubectl.</summary>
public sealed class NodeApiTests : IAsyncLifetime
{
    private const string Runtime = "containerd://1.6.20";
    private TestApiServer _server = null!;
    private string _root = null!;

    public async Task InitializeAsync()
    {
        _server = await TestApiServer.StartAsync();
        _root = Path.Combine(_server.DataDirectory, "kubelet");
    }

    public Task DisposeAsync() => _server.DisposeAsync().AsTask();

    /// <summary>A client with the node's own credential, as `kybernet kubeconfig node NAME` makes it.</summary>
    private IKubernetes NodeClient(string node)
    {
        var path = Path.Combine(_server.DataDirectory, $"{node}.kubeconfig");
        AdminCredentials.WriteKubeconfig(path, NodeCredentials.Kubeconfig(_server.DataDirectory, node));
        return KubeClient.FromKubeconfig(path);
    }

    private NodeOptions Options(string node) => new()
    {
        NodeName = node,
        InternalIp = IPAddress.Parse("10.99.0.7"),
        ContainerRuntimeVersion = Runtime,
        RootDirectory = _root,
        LeaseRenewInterval = TimeSpan.FromMilliseconds(100),
        StatusCheckInterval = TimeSpan.FromMilliseconds(100),
    };

    private static Task<IReadOnlyList<string>> RuntimeReady(CancellationToken _) => Task.FromResult<IReadOnlyList<string>>([]);

    [Fact]
    public async Task A_registered_node_is_Ready_in_kubectl_with_its_address_os_kernel_runtime_and_version()
    {
        using var client = NodeClient("n1");
        var kubelet = new KubeletNode(client, Options("n1"), RuntimeReady, null, NullLoggerFactory.Instance);
        await kubelet.RegisterAsync(CancellationToken.None);

        var facts = MachineFacts.Read(_root, NullLogger.Instance);
        var wide = _server.Kubectl.Ok("get", "nodes", "-o", "wide");
        var row = wide.Split('\n').Single(l => l.StartsWith("n1 ", StringComparison.Ordinal));
        foreach (var expected in new[] { " Ready ", KubeletVersion.Value, "10.99.0.7", facts.OsImage, facts.KernelVersion, Runtime })
            Assert.True(row.Contains(expected, StringComparison.Ordinal), $"'{expected}' not in:\n{wide}");

        var node = await _server.Client.CoreV1.ReadNodeAsync("n1");
        Assert.Equal(kubelet.NodeUid, node.Metadata.Uid);
        Assert.Equal("n1", node.Metadata.Labels["kubernetes.io/hostname"]);
        Assert.Equal("linux", node.Metadata.Labels["kubernetes.io/os"]);
        Assert.Equal(facts.Architecture, node.Metadata.Labels["kubernetes.io/arch"]);
        Assert.Equal("linux", node.Metadata.Labels["beta.kubernetes.io/os"]);
        Assert.Equal(facts.Architecture, node.Metadata.Labels["beta.kubernetes.io/arch"]);
        Assert.Equal([("InternalIP", "10.99.0.7"), ("Hostname", "n1")], node.Status.Addresses.Select(a => (a.Type, a.Address)));
        Assert.Equal("110", node.Status.Capacity["pods"].ToString());
        Assert.Equal(facts.Cores.ToString(), node.Status.Capacity["cpu"].ToString());
        Assert.Equal(NodeDescription.Bytes(facts.MemoryBytes), node.Status.Capacity["memory"].ToString());
        Assert.True(node.Status.Allocatable.ContainsKey("ephemeral-storage"));
        Assert.Equal(10250, node.Status.DaemonEndpoints.KubeletEndpoint.Port);
        Assert.Equal(("linux", facts.BootId, facts.MachineId), (node.Status.NodeInfo.OperatingSystem, node.Status.NodeInfo.BootID, node.Status.NodeInfo.MachineID));
    }

    [Fact]
    public async Task Registering_an_existing_node_keeps_its_podCIDR_annotations_labels_and_others_conditions()
    {
        var made = await _server.CreateNodeAsync("n2", "10.244.2.0/24", new Dictionary<string, string> { ["flannel.alpha.coreos.com/public-ip"] = "10.99.0.8" });
        _server.Kubectl.Ok("label", "node", "n2", "example.com/rack=r1", "kubernetes.io/os=windows");
        await _server.Client.CoreV1.PatchNodeStatusAsync(new V1Patch(
            """{"status":{"conditions":[{"type":"example.com/DiskHealthy","status":"True","reason":"Checked","message":"fine"}]}}""",
            V1Patch.PatchType.StrategicMergePatch), "n2");

        using var client = NodeClient("n2");
        var kubelet = new KubeletNode(client, Options("n2"), RuntimeReady, null, NullLoggerFactory.Instance);
        await kubelet.RegisterAsync(CancellationToken.None);

        var node = await _server.Client.CoreV1.ReadNodeAsync("n2");
        Assert.Equal(made.Metadata.Uid, node.Metadata.Uid);
        Assert.Equal("10.244.2.0/24", node.Spec.PodCIDR);
        Assert.Equal("10.99.0.8", node.Metadata.Annotations["flannel.alpha.coreos.com/public-ip"]);
        Assert.Equal("r1", node.Metadata.Labels["example.com/rack"]);
        Assert.Equal("linux", node.Metadata.Labels["kubernetes.io/os"]);
        Assert.Contains(node.Status.Conditions, c => c.Type == "example.com/DiskHealthy" && c.Status == "True");
        Assert.Contains(node.Status.Conditions, c => c.Type == "Ready" && c.Status == "True");
        Assert.Equal("10.99.0.7", node.Status.Addresses.Single(a => a.Type == "InternalIP").Address);
    }

    [Fact]
    public async Task The_status_is_written_when_it_changes_and_not_otherwise()
    {
        await _server.CreateNodeAsync("n3", "10.244.3.0/24", new Dictionary<string, string> { ["example.com/owner"] = "overlay" });
        using var client = NodeClient("n3");
        var options = Options("n3");
        var facts = MachineFacts.Read(_root, NullLogger.Instance);
        var registration = new NodeRegistration(client, options, facts, NullLogger.Instance);
        await registration.RegisterAsync(CancellationToken.None);
        var signals = new NodeSignals([], null);
        var reporter = new NodeStatusReporter(client, options, facts, _ => Task.FromResult(signals), registration.RegisterAsync, NullLogger.Instance);

        Assert.True(await reporter.SyncAsync(CancellationToken.None));
        var first = await _server.Client.CoreV1.ReadNodeAsync("n3");
        Assert.False(await reporter.SyncAsync(CancellationToken.None));
        Assert.Equal(first.Metadata.ResourceVersion, (await _server.Client.CoreV1.ReadNodeAsync("n3")).Metadata.ResourceVersion);

        signals = new NodeSignals(["container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:cni config uninitialized"], false);
        Assert.True(await reporter.SyncAsync(CancellationToken.None));
        var notReady = await _server.Client.CoreV1.ReadNodeAsync("n3");
        var ready = notReady.Status.Conditions.Single(c => c.Type == "Ready");
        Assert.Equal(("False", "KubeletNotReady"), (ready.Status, ready.Reason));
        Assert.StartsWith("container runtime network not ready", ready.Message);
        Assert.Contains("NotReady", _server.Kubectl.Ok("get", "node", "n3"));
        Assert.DoesNotContain(notReady.Status.Conditions, c => c.Type == "NetworkUnavailable");

        signals = new NodeSignals([], true);
        Assert.True(await reporter.SyncAsync(CancellationToken.None));
        var up = await _server.Client.CoreV1.ReadNodeAsync("n3");
        Assert.Equal("True", up.Status.Conditions.Single(c => c.Type == "Ready").Status);
        var network = up.Status.Conditions.Single(c => c.Type == "NetworkUnavailable");
        Assert.Equal(("False", NodeConditions.OverlayUpReason), (network.Status, network.Reason));
        Assert.Equal("10.244.3.0/24", up.Spec.PodCIDR);
        Assert.Equal("overlay", up.Metadata.Annotations["example.com/owner"]);
        Assert.Equal(3, reporter.Writes);

        // Past the report interval an unchanged status is written again (its heartbeat moves).
        var always = new NodeStatusReporter(client, options with { StatusReportInterval = TimeSpan.Zero }, facts, _ => Task.FromResult(signals), registration.RegisterAsync, NullLogger.Instance);
        Assert.True(await always.SyncAsync(CancellationToken.None));
        Assert.True(await always.SyncAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_lease_is_created_owned_by_the_node_renewed_and_made_again_when_deleted_and_a_deleted_node_comes_back()
    {
        using var client = NodeClient("n4");
        var kubelet = new KubeletNode(client, Options("n4"), RuntimeReady, null, NullLoggerFactory.Instance);
        using var stop = new CancellationTokenSource();
        var running = kubelet.RunAsync(stop.Token);
        try
        {
            V1Lease? lease = null;
            await TestApiServer.Eventually(async () => (lease = await ReadLeaseAsync("n4")) is not null, "the lease exists");
            Assert.Equal("n4", lease!.Spec.HolderIdentity);
            Assert.Equal(40, lease.Spec.LeaseDurationSeconds);
            var owner = Assert.Single(lease.Metadata.OwnerReferences);
            Assert.Equal(("v1", "Node", "n4", kubelet.NodeUid), (owner.ApiVersion, owner.Kind, owner.Name, owner.Uid));

            var renewed = lease.Spec.RenewTime;
            await TestApiServer.Eventually(async () => (await ReadLeaseAsync("n4"))?.Spec.RenewTime > renewed, "the lease is renewed");
            Assert.Contains("n4", _server.Kubectl.Ok("get", "leases", "-n", "kube-node-lease"));

            await _server.Client.CoordinationV1.DeleteNamespacedLeaseAsync("n4", "kube-node-lease");
            await TestApiServer.Eventually(async () => await ReadLeaseAsync("n4") is not null, "the lease is made again");

            var before = kubelet.NodeUid;
            await _server.Client.CoreV1.DeleteNodeAsync("n4");
            await TestApiServer.Eventually(async () =>
                (await _server.Client.CoreV1.ListNodeAsync()).Items.SingleOrDefault(n => n.Metadata.Name == "n4") is { } n
                && n.Metadata.Uid != before && n.Status?.Conditions?.Any(c => c.Type == "Ready") == true, "the node is registered again");
            await TestApiServer.Eventually(async () =>
                (await ReadLeaseAsync("n4"))?.Metadata.OwnerReferences?.Any(o => o.Uid == kubelet.NodeUid) == true, "the lease is owned by the new node");
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }
    }

    [Fact]
    public async Task With_its_network_the_node_writes_the_conflist_from_subnet_env_and_reports_NetworkUnavailable_False()
    {
        using var client = NodeClient("n5");
        var network = new NodeNetwork(Path.Combine(_server.DataDirectory, "run", "subnet.env"),
            new CniConfigWriter(Path.Combine(_server.DataDirectory, "net.d"), Path.Combine(_server.DataDirectory, "ipam"), NullLogger.Instance))
        {
            PollInterval = TimeSpan.FromMilliseconds(50),
        };
        var kubelet = new KubeletNode(client, Options("n5"), RuntimeReady, null, NullLoggerFactory.Instance, network: network);
        using var stop = new CancellationTokenSource();
        var running = kubelet.RunAsync(stop.Token);
        try
        {
            await TestApiServer.Eventually(async () => await ReadyAsync("n5"), "the node is Ready");
            Assert.DoesNotContain((await _server.Client.CoreV1.ReadNodeAsync("n5")).Status.Conditions, c => c.Type == "NetworkUnavailable");
            Assert.False(File.Exists(network.Writer.ConfigPath));

            await SubnetEnvWriter.WriteAsync(network.SubnetEnvPath, new SubnetEnv(IPNetwork.Parse("10.244.0.0/16"), IPNetwork.Parse("10.244.5.0/24"), 1450, true));
            await TestApiServer.Eventually(async () => (await _server.Client.CoreV1.ReadNodeAsync("n5")).Status.Conditions
                .Any(c => c.Type == "NetworkUnavailable" && c.Status == "False" && c.Reason == NodeConditions.OverlayUpReason), "NetworkUnavailable is False");
            Assert.Contains("\"subnet\": \"10.244.5.0/24\"", File.ReadAllText(network.Writer.ConfigPath));
        }
        finally
        {
            await stop.CancelAsync();
            await running;
        }
    }

    private async Task<bool> ReadyAsync(string node) =>
        (await _server.Client.CoreV1.ListNodeAsync()).Items.SingleOrDefault(n => n.Metadata.Name == node)?
            .Status?.Conditions?.Any(c => c.Type == "Ready" && c.Status == "True") == true;

    private async Task<V1Lease?> ReadLeaseAsync(string node)
    {
        try
        {
            return await _server.Client.CoordinationV1.ReadNamespacedLeaseAsync(node, "kube-node-lease");
        }
        catch (Exception e) when (KubeClient.IsNotFound(e))
        {
            return null;
        }
    }
}
