namespace Kybernet.ApiServer.Tests;

/// <summary>pods/exec, attach and portforward before they reach a kubelet: discovery, options, container, node (the lab tests go all the way with kubectl).</summary>
public sealed class PodStreamingTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private ApiClient Api() => new(server.DataDirectory, server.Server.Url);

    [Fact]
    public async Task Discovery_offers_exec_attach_and_portforward_for_get_and_create()
    {
        using var api = Api();
        var (_, list) = await api.Get("/api/v1");
        foreach (var name in new[] { "pods/exec", "pods/attach", "pods/portforward" })
        {
            var resource = list["resources"]!.AsArray().Single(r => r!["name"]!.GetValue<string>() == name)!;
            Assert.Equal(["create", "get"], resource["verbs"]!.AsArray().Select(v => v!.GetValue<string>()).Order());
        }
    }

    [Fact]
    public async Task Streaming_requests_are_checked_before_any_kubelet_is_called()
    {
        using var api = Api();
        server.Kubectl.OkWith(Manifests.Namespace("streams"), "create", "-f", "-");
        const string Pods = "/api/v1/namespaces/streams/pods";
        Assert.Equal(201, (await api.Post(Pods, PinnedPods.Pod("waiting", null, "c"))).Status);
        Assert.Equal(201, (await api.Post(Pods, PinnedPods.Pod("pair", "no-such-node", "a", "b"))).Status);
        Assert.Equal(201, (await api.Post(Pods, PinnedPods.Pod("lost", "no-such-node", "c"))).Status);

        async Task Refused(string path, int status, string message)
        {
            var (got, body) = await api.Get(path);
            Assert.Equal((status, message), (got, body["message"]!.GetValue<string>()));
        }
        await Refused($"{Pods}/lost/exec?stdout=true", 400, "you must specify at least 1 command");
        await Refused($"{Pods}/lost/exec?command=true", 400, "you must specify at least one of stdin, stdout, stderr");
        await Refused($"{Pods}/pair/exec?command=true&stdout=true", 400, "a container name must be specified for pod pair, choose one of: [a b]");
        await Refused($"{Pods}/pair/attach?container=z&stdout=true", 400, "container z is not valid for pod pair");
        await Refused($"{Pods}/waiting/exec?command=true&stdout=true", 400, "pod waiting does not have a host assigned");
        await Refused($"{Pods}/lost/portforward", 400, "unable to forward port because pod is not running. Current status=Pending");
        var (status, body) = await api.Get($"{Pods}/lost/exec?command=true&stdout=true");
        Assert.Equal(503, status);
        Assert.Contains("node \"no-such-node\" of pod \"lost\" does not exist", body["message"]!.GetValue<string>());
        (status, body) = await api.Get($"{Pods}/nosuch/exec?command=true&stdout=true");
        Assert.Equal((404, "NotFound"), (status, body["reason"]!.GetValue<string>()));
    }
}
