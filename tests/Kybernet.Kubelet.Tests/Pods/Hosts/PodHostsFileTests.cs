using k8s.Models;
using Kybernet.Kubelet.Pods;
using Kybernet.Kubelet.Pods.Hosts;

namespace Kybernet.Kubelet.Tests.Pods.Hosts;

public sealed class PodHostsFileTests
{
    private const string Localhost = "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        + "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n";

    [Fact]
    public void A_pod_gets_its_ip_and_name()
    {
        var pod = TestPods.Pod("web-0", "shop");
        Assert.Equal(Localhost + "10.244.1.7\tweb-0\n", PodHostsFile.For(pod, ["10.244.1.7"], "cluster.local"));
    }

    [Fact]
    public void Hostname_and_subdomain_give_the_fqdn_and_aliases_follow()
    {
        var pod = TestPods.Pod("web-0", "shop");
        pod.Spec.Hostname = "db";
        pod.Spec.Subdomain = "backend";
        pod.Spec.HostAliases = [new V1HostAlias { Ip = "10.1.2.3", Hostnames = ["foo.local", "bar.local"] }, new V1HostAlias { Ip = "10.1.2.4", Hostnames = ["baz"] }];

        string expected = Localhost
            + "10.244.1.7\tdb.backend.shop.svc.cluster.local\tdb\n"
            + "fd44::7\tdb.backend.shop.svc.cluster.local\tdb\n"
            + "\n# Entries added by HostAliases.\n10.1.2.3\tfoo.local\tbar.local\n10.1.2.4\tbaz\n";
        Assert.Equal(expected, PodHostsFile.For(pod, ["10.244.1.7", "fd44::7"], "cluster.local"));
    }

    [Fact]
    public void A_host_network_pod_gets_the_nodes_file_with_its_aliases()
    {
        string nodeHosts = Path.GetTempFileName();
        try
        {
            File.WriteAllText(nodeHosts, "127.0.0.1\tlocalhost\n192.168.50.2\tnode-1\n");
            var pod = TestPods.Pod("agent", "kube-system");
            pod.Spec.HostNetwork = true;
            pod.Spec.HostAliases = [new V1HostAlias { Ip = "10.1.2.3", Hostnames = ["foo"] }];
            Assert.Equal("# Kubernetes-managed hosts file (host network).\n127.0.0.1\tlocalhost\n192.168.50.2\tnode-1\n\n# Entries added by HostAliases.\n10.1.2.3\tfoo\n",
                PodHostsFile.For(pod, [], "cluster.local", nodeHosts));
        }
        finally
        {
            File.Delete(nodeHosts);
        }
    }

    [Fact]
    public void Long_pod_names_are_cut_to_a_label_and_bad_hostnames_refused()
    {
        var pod = TestPods.Pod(new string('a', 62) + "-bcd", "shop");
        Assert.Equal(new string('a', 62), PodHostname.Of(pod, "cluster.local").Hostname);

        pod.Spec.Hostname = "Not_Valid";
        Assert.Equal("pod Hostname \"Not_Valid\" is not a valid DNS label", Assert.Throws<ContainerConfigException>(() => PodHostname.Of(pod, "cluster.local")).Message);
    }
}
