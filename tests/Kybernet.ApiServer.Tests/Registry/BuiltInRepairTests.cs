using System.Text.Json.Nodes;
using Kybernet.ApiServer.Registry;
using static Kybernet.ApiServer.Tests.Registry.StrategyAssert;

namespace Kybernet.ApiServer.Tests.Registry;

/// <summary>The built-in objects come back when deleted and are put right when changed, as upstream's reconcilers do; with the real kubectl.</summary>
public sealed class BuiltInRepairTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private readonly Kubectl _k = server.Kubectl;

    /// <summary>Asks until the answer is there (the repair runs beside the server); bounded so a broken repair fails the test.</summary>
    private static void Eventually(Func<bool> done, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(40);
        while (!done())
        {
            Assert.True(DateTime.UtcNow < until, $"not within 40 s: {what}");
            Thread.Sleep(200);
        }
    }

    [Fact]
    public void Delete_all_in_default_takes_the_kubernetes_service_and_it_comes_back_with_its_endpoints()
    {
        var before = _k.Ok("get", "service", "kubernetes", "-o", "jsonpath={.metadata.uid}");
        Assert.Contains("service \"kubernetes\" deleted", _k.Ok("delete", "all", "--all", "-n", "default"));
        _k.Ok("delete", "endpoints,endpointslices", "kubernetes", "-n", "default");
        Eventually(() => _k.Run("get", "service", "kubernetes", "-o", "jsonpath={.metadata.uid}") is { ExitCode: 0 } r && r.Stdout != before, "the kubernetes service back");
        Assert.Matches(@"kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443/TCP", _k.Ok("get", "service", "kubernetes"));
        var port = server.Server.Url.Port.ToString();
        Assert.Equal(port, _k.Ok("get", "service", "kubernetes", "-o", "jsonpath={.spec.ports[0].targetPort}"));
        Eventually(() => _k.Run("get", "endpoints", "kubernetes", "-o", "jsonpath={.subsets[0].ports[0].port}").Stdout == port, "the kubernetes endpoints back");
        Eventually(() => _k.Run("get", "endpointslice", "kubernetes", "-o", "jsonpath={.endpoints[0].addresses[0]}").Stdout == "127.0.0.1", "the kubernetes endpoint slice back");
    }

    [Fact]
    public void A_deleted_system_namespace_or_priority_class_comes_back_and_kube_public_may_not_be_deleted()
    {
        var before = _k.Ok("get", "namespace", "kube-node-lease", "-o", "jsonpath={.metadata.uid}");
        _k.Ok("delete", "namespace", "kube-node-lease");
        Eventually(() => _k.Run("get", "namespace", "kube-node-lease", "-o", "jsonpath={.metadata.uid} {.status.phase}") is { ExitCode: 0 } r
            && !r.Stdout.StartsWith(before, StringComparison.Ordinal) && r.Stdout.EndsWith("Active", StringComparison.Ordinal), "kube-node-lease back");

        // As upstream: default, kube-system and kube-public are immortal.
        Assert.Contains("Error from server (Forbidden)", _k.Run("delete", "namespace", "kube-public").Stderr);

        _k.Ok("delete", "priorityclass", "system-node-critical");
        Eventually(() => _k.Run("get", "priorityclass", "system-node-critical", "-o", "jsonpath={.value}").Stdout == "2000001000", "system-node-critical back");
    }

    [Fact]
    public void A_changed_kubernetes_service_is_put_right_and_labels_users_add_stay()
    {
        _k.Ok("patch", "service", "kubernetes", "--type=merge", "-p", """{"metadata":{"labels":{"mine":"yes"}},"spec":{"ports":[{"name":"https","port":8443,"protocol":"TCP","targetPort":1}]}}""");
        Eventually(() => _k.Run("get", "service", "kubernetes", "-o", "jsonpath={.spec.ports[0].port}").Stdout == "443", "the service's port put right");
        Assert.Equal("yes", _k.Ok("get", "service", "kubernetes", "-o", "jsonpath={.metadata.labels.mine}"));
    }

    [Fact]
    public void Repairing_puts_back_what_the_server_owns_and_nothing_else()
    {
        var desired = Obj("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"kubernetes","labels":{"component":"apiserver"}},"spec":{"type":"ClusterIP","clusterIP":"10.96.0.1","ports":[{"port":443}]}}""");
        var same = Obj("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"kubernetes","uid":"u","labels":{"component":"apiserver","extra":"x"}},"spec":{"type":"ClusterIP","clusterIP":"10.96.0.1","ports":[{"port":443}],"sessionAffinity":"None"},"status":{}}""");
        Assert.Null(BuiltInRepair.Repaired(same, desired));
        var changed = (JsonObject)same.DeepClone();
        changed["spec"]!["ports"]![0]!["port"] = 80;
        changed["metadata"]!["labels"]!.AsObject().Remove("component");
        var repaired = BuiltInRepair.Repaired(changed, desired)!;
        Assert.Equal(443, repaired["spec"]!["ports"]![0]!["port"]!.GetValue<int>());
        Assert.Equal("apiserver", Str(repaired["metadata"]!["labels"]!["component"]));
        Assert.Equal("x", Str(repaired["metadata"]!["labels"]!["extra"]));
        Assert.Equal("u", Str(repaired["metadata"]!["uid"]));
    }
}
