using Kybernet.ApiServer.Security;

namespace Kybernet.ApiServer.Tests.Security;

/// <summary>A node's kubeconfig (what `kybernet kubeconfig node` writes) used by the real kubectl: the node's rights and no more.</summary>
public sealed class NodeIdentityTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public void A_node_kubeconfig_is_system_node_NAME_with_the_system_node_role()
    {
        var path = Path.Combine(server.DataDirectory, "node-1.kubeconfig");
        AdminCredentials.WriteKubeconfig(path, NodeCredentials.Kubeconfig(server.DataDirectory, "node-1"));
        var node = new Kubectl(path, Path.Combine(server.DataDirectory, "node-home"));

        node.OkWith("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"node-1\"}}", "create", "-f", "-");
        node.Ok("label", "node", "node-1", "example.com/ready=yes");
        node.Ok("get", "pods", "-A");
        // As upstream, a namespace is judged in its own namespace.
        var forbidden = node.Run("delete", "namespace", "default");
        Assert.NotEqual(0, forbidden.ExitCode);
        Assert.True(forbidden.Stderr.Contains("namespaces \"default\" is forbidden: User \"system:node:node-1\" cannot delete resource \"namespaces\" in API group \"\" in the namespace \"default\""), forbidden.ToString());
        Assert.Contains("User \"system:node:node-1\" cannot list resource \"clusterroles\"", node.Run("get", "clusterroles").Stderr);
    }

    [Fact]
    public void A_node_name_must_be_a_dns_subdomain_and_the_data_directory_must_have_a_ca()
    {
        Assert.Throws<ArgumentException>(() => NodeCredentials.Kubeconfig(server.DataDirectory, "Not_A_Node"));
        Assert.Contains("start `kybernet server", Assert.Throws<ArgumentException>(() => NodeCredentials.Kubeconfig("/nonexistent", "n1")).Message);
    }
}
