using System.Net;
using Kybernet.Kubelet.Networks;

namespace Kybernet.Kubelet.Tests.Networks;

public sealed class NetworkReportTests
{
    [Fact]
    public void The_table_lines_up_like_docker_network_ls_and_marks_empty_networks()
    {
        var table = NetworkReport.Table(
        [
            new("bridge", "kybernet-bridge", "10.244.0.0/24", "10.244.0.1", ["default/a", "default/b"]),
            new("none", "null", "-", "-", []),
        ]);
        Assert.Equal(
            "NETWORK  DRIVER           SUBNET         GATEWAY     PODS\n" +
            "bridge   kybernet-bridge  10.244.0.0/24  10.244.0.1  default/a, default/b\n" +
            "none     null             -              -           -\n",
            table.Replace("\r\n", "\n"));
    }

    [Fact]
    public void A_pod_shows_its_veth_peer_and_which_namespaces_its_containers_share()
    {
        var pod = new PodNetwork("default", "web", "0123456789abcdef", NetworkMode.Bridge, IPAddress.Parse("10.244.0.5"), 42, "/run/netns/cni-1", SharedPidNamespace: false,
            [new PodContainerNetwork("httpd", "c1", 43, SharesNetwork: true, SharesPid: false)],
            [new PodInterface("eth0", "veth", "0a:58:0a:f4:00:05", 1450, true, ["10.244.0.5/24"], "veth1234", "cni0")],
            ["default via 10.244.0.1 dev eth0"]);
        var text = NetworkReport.Pod(pod);
        Assert.Contains("sandbox:    0123456789ab (pause pid 42)", text);
        Assert.Contains("eth0   veth      up    mtu 1450   10.244.0.5/24  mac 0a:58:0a:f4:00:05  veth peer veth1234 on the node (port of cni0)", text);
        Assert.Contains("    default via 10.244.0.1 dev eth0\n", text.Replace("\r\n", "\n"));
        Assert.Contains("httpd        pid 43       shares the sandbox's netns\n", text.Replace("\r\n", "\n"));
        Assert.Contains("pid namespace: each its own", text);
    }
}
