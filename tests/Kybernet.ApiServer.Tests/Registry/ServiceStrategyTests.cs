using System.Text.Json.Nodes;
using Kybernet.ApiServer.Registry;
using Kybernet.Store;
using static Kybernet.ApiServer.Tests.Registry.StrategyAssert;

namespace Kybernet.ApiServer.Tests.Registry;

public sealed class ServiceStrategyTests : IAsyncLifetime
{
    private readonly TempStore _store = new();
    private ServiceStrategy _services = null!;

    public async Task InitializeAsync()
    {
        await _store.InitializeAsync();
        _services = new ServiceStrategy(new ServiceAllocator(_store.Store));
    }

    public Task DisposeAsync() => _store.DisposeAsync();

    private static JsonObject Service(string spec) =>
        Obj($$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default"},"spec":{{spec}}}""");

    [Fact]
    public void Defaults_type_affinity_protocol_and_target_port()
    {
        var svc = Service("""{"ports":[{"port":80},{"port":443,"targetPort":8443,"protocol":"UDP"}]}""");
        _services.Default(svc);
        Assert.Equal("ClusterIP", Str(svc["spec"]!["type"]));
        Assert.Equal("None", Str(svc["spec"]!["sessionAffinity"]));
        Assert.Equal("TCP", Str(svc["spec"]!["ports"]![0]!["protocol"]));
        Assert.Equal(80, svc["spec"]!["ports"]![0]!["targetPort"]!.GetValue<int>());
        Assert.Equal("UDP", Str(svc["spec"]!["ports"]![1]!["protocol"]));
        Assert.Equal(8443, svc["spec"]!["ports"]![1]!["targetPort"]!.GetValue<int>());
    }

    [Fact]
    public void Validation_of_name_type_and_ports()
    {
        NoCauses(_services.ValidateCreate(Service("""{"ports":[{"port":80}]}""")));
        var dotted = Service("""{"ports":[{"port":80}]}""");
        dotted["metadata"]!["name"] = "web.v1"; // a DNS-1035 label: no dots
        HasCause(_services.ValidateCreate(dotted), "FieldValueInvalid", "metadata.name");
        HasCause(_services.ValidateCreate(Service("""{"type":"Magic","ports":[{"port":80}]}""")), "FieldValueNotSupported", "spec.type");
        HasCause(_services.ValidateCreate(Service("""{"type":"ClusterIP"}""")), "FieldValueRequired", "spec.ports");
        NoCauses(_services.ValidateCreate(Service("""{"clusterIP":"None"}"""))); // headless
        var causes = _services.ValidateCreate(Service("""{"type":"NodePort","ports":[{"port":80,"nodePort":80},{"port":0,"name":"b"}]}"""));
        HasCause(causes, "FieldValueInvalid", "spec.ports[0].nodePort");
        HasCause(causes, "FieldValueRequired", "spec.ports[0].name");
        HasCause(causes, "FieldValueInvalid", "spec.ports[1].port");
    }

    [Fact]
    public void The_cluster_ip_is_immutable()
    {
        var current = Service("""{"clusterIP":"10.96.0.20","ports":[{"port":80}]}""");
        var next = Service("""{"clusterIP":"10.96.0.21","ports":[{"port":80}]}""");
        HasCause(_services.ValidateUpdate(next, current), "FieldValueInvalid", "spec.clusterIP");
        NoCauses(_services.ValidateUpdate(Service("""{"clusterIP":"10.96.0.20","ports":[{"port":81}]}"""), current));
    }

    [Fact]
    public void A_new_service_has_an_empty_load_balancer_status()
    {
        var svc = Service("""{"ports":[{"port":80}]}""");
        svc["status"] = Obj("""{"loadBalancer":{"ingress":[{"ip":"1.2.3.4"}]}}""");
        _services.PrepareForCreate(svc);
        Assert.Equal("""{"loadBalancer":{}}""", svc["status"]!.ToJsonString());
    }

    [Fact]
    public void An_update_keeps_the_addresses_the_client_left_out_and_the_status()
    {
        var current = Service("""{"type":"NodePort","clusterIP":"10.96.0.20","clusterIPs":["10.96.0.20"],"ports":[{"port":80,"nodePort":30080}]}""");
        current["status"] = Obj("""{"loadBalancer":{"ingress":[{"ip":"1.2.3.4"}]}}""");
        var next = Service("""{"type":"NodePort","ports":[{"port":80},{"port":81,"name":"b"}]}""");
        _services.PrepareForUpdate(next, current);
        Assert.Equal("10.96.0.20", Str(next["spec"]!["clusterIP"]));
        Assert.Equal(30080, next["spec"]!["ports"]![0]!["nodePort"]!.GetValue<int>());
        Assert.Null(next["spec"]!["ports"]![1]!["nodePort"]);
        Assert.Equal("1.2.3.4", Str(next["status"]!["loadBalancer"]!["ingress"]![0]!["ip"]));

        var toClusterIp = Service("""{"type":"ClusterIP","ports":[{"port":80,"nodePort":30080}]}""");
        _services.PrepareForUpdate(toClusterIp, current);
        Assert.Null(toClusterIp["spec"]!["ports"]![0]!["nodePort"]);
    }

    [Fact]
    public async Task A_new_service_claims_its_ip_and_node_ports_and_an_update_only_what_it_adds()
    {
        var svc = Service("""{"type":"NodePort","ports":[{"port":80}]}""");
        var claims = await _services.PlanCreateClaimsAsync(svc, default);
        var ip = Str(svc["spec"]!["clusterIP"])!;
        var nodePort = svc["spec"]!["ports"]![0]!["nodePort"]!.GetValue<int>();
        Assert.Equal([ServiceAllocator.IpPrefix + ip, ServiceAllocator.NodePortPrefix + nodePort], claims);
        Assert.True(ServiceAllocator.ServiceNetwork.Contains(System.Net.IPAddress.Parse(ip)));
        Assert.InRange(nodePort, 30000, 32767);

        var next = (JsonObject)svc.DeepClone();
        next["spec"]!["ports"]!.AsArray().Add(Obj("""{"port":81,"name":"b"}"""));
        var added = await _services.PlanUpdateClaimsAsync(next, svc, default);
        var second = next["spec"]!["ports"]![1]!["nodePort"]!.GetValue<int>();
        Assert.Equal([ServiceAllocator.NodePortPrefix + second], added);
        Assert.NotEqual(nodePort, second);

        Assert.Empty(await _services.PlanUpdateClaimsAsync(Service("""{"type":"ClusterIP","ports":[{"port":80}]}"""), svc, default));
    }

    [Fact]
    public async Task A_requested_ip_that_is_taken_is_refused()
    {
        await _store.Store.PutAsync(ServiceAllocator.IpPrefix + "10.96.0.50", "default/other"u8.ToArray());
        var e = await Assert.ThrowsAsync<Kybernet.ApiServer.Http.ApiException>(() => _services.PlanCreateClaimsAsync(Service("""{"clusterIP":"10.96.0.50","ports":[{"port":80}]}"""), default));
        Assert.Equal(422, e.Code);
        Assert.Contains("provided IP is already allocated", e.Message);
    }
}
