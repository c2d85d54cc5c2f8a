using k8s.Models;
using Kybernet.Kubelet.Pods.Env;

namespace Kybernet.Kubelet.Tests.Pods.Env;

public sealed class ServiceEnvironmentTests
{
    [Fact]
    public void One_service_with_named_ports_gives_upstreams_variables()
    {
        var objects = new FakePodObjects().WithService("shop", "my-db", "10.96.3.4",
            new V1ServicePort { Name = "sql", Port = 5432 }, new V1ServicePort { Name = "metrics-port", Port = 9187, Protocol = "UDP" });

        var env = ServiceEnvironment.For(objects.Services[0]).ToList();

        Assert.Equal(
        [
            new("MY_DB_SERVICE_HOST", "10.96.3.4"),
            new("MY_DB_SERVICE_PORT", "5432"),
            new("MY_DB_SERVICE_PORT_SQL", "5432"),
            new("MY_DB_SERVICE_PORT_METRICS_PORT", "9187"),
            new("MY_DB_PORT", "tcp://10.96.3.4:5432"),
            new("MY_DB_PORT_5432_TCP", "tcp://10.96.3.4:5432"),
            new("MY_DB_PORT_5432_TCP_PROTO", "tcp"),
            new("MY_DB_PORT_5432_TCP_PORT", "5432"),
            new("MY_DB_PORT_5432_TCP_ADDR", "10.96.3.4"),
            new("MY_DB_PORT_9187_UDP", "udp://10.96.3.4:9187"),
            new("MY_DB_PORT_9187_UDP_PROTO", "udp"),
            new("MY_DB_PORT_9187_UDP_PORT", "9187"),
            new("MY_DB_PORT_9187_UDP_ADDR", "10.96.3.4"),
        ], env);
    }

    [Fact]
    public void Ipv6_cluster_ip_is_bracketed_in_urls()
    {
        var objects = new FakePodObjects().WithService("shop", "v6", "fd00::10", new V1ServicePort { Port = 80 });
        var env = ServiceEnvironment.For(objects.Services[0]).ToDictionary(v => v.Name, v => v.Value);
        Assert.Equal("tcp://[fd00::10]:80", env["V6_PORT"]);
        Assert.Equal("fd00::10", env["V6_PORT_80_TCP_ADDR"]);
    }

    [Fact]
    public void Headless_and_ipless_services_are_left_out_and_kubernetes_is_always_in()
    {
        var objects = new FakePodObjects()
            .WithService("default", "kubernetes", "10.96.0.1", new V1ServicePort { Name = "https", Port = 443 })
            .WithService("default", "other", "10.96.0.7", new V1ServicePort { Port = 80 })
            .WithService("shop", "headless", "None", new V1ServicePort { Port = 80 })
            .WithService("shop", "pending", "", new V1ServicePort { Port = 80 })
            .WithService("shop", "cart", "10.96.0.9", new V1ServicePort { Port = 8080 });

        var linked = ServiceEnvironment.ForPod(objects, "shop", enableServiceLinks: true);
        Assert.Equal("10.96.0.1", linked["KUBERNETES_SERVICE_HOST"]);
        Assert.Equal("443", linked["KUBERNETES_SERVICE_PORT_HTTPS"]);
        Assert.Equal("10.96.0.9", linked["CART_SERVICE_HOST"]);
        Assert.DoesNotContain(linked.Keys, k => k.StartsWith("HEADLESS", StringComparison.Ordinal) || k.StartsWith("PENDING", StringComparison.Ordinal) || k.StartsWith("OTHER", StringComparison.Ordinal));

        var unlinked = ServiceEnvironment.ForPod(objects, "shop", enableServiceLinks: false);
        Assert.Equal("10.96.0.1", unlinked["KUBERNETES_SERVICE_HOST"]);
        Assert.DoesNotContain("CART_SERVICE_HOST", unlinked.Keys);
    }

    [Fact]
    public void A_kubernetes_service_in_the_pods_namespace_wins()
    {
        var objects = new FakePodObjects()
            .WithService("default", "kubernetes", "10.96.0.1", new V1ServicePort { Port = 443 })
            .WithService("shop", "kubernetes", "10.96.5.5", new V1ServicePort { Port = 443 });
        Assert.Equal("10.96.5.5", ServiceEnvironment.ForPod(objects, "shop", true)["KUBERNETES_SERVICE_HOST"]);
        Assert.Equal("10.96.0.1", ServiceEnvironment.ForPod(objects, "shop", false)["KUBERNETES_SERVICE_HOST"]);
    }
}
