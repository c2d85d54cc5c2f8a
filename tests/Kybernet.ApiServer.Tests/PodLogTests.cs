namespace Kybernet.ApiServer.Tests;

/// <summary>pods/log before it reaches a kubelet: options checked, a container chosen, a node that can be reached (the lab tests follow it to the kubelet).</summary>
public sealed class PodLogTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private ApiClient Api() => new(server.DataDirectory, server.Server.Url);

    [Fact]
    public async Task Log_requests_are_checked_before_any_kubelet_is_called()
    {
        using var api = Api();
        server.Kubectl.OkWith(Manifests.Namespace("logs"), "create", "-f", "-");
        const string Pods = "/api/v1/namespaces/logs/pods";
        Assert.Equal(201, (await api.Post(Pods, PinnedPods.Pod("waiting", null, "c"))).Status);
        Assert.Equal(201, (await api.Post(Pods, PinnedPods.Pod("pair", null, "a", "b"))).Status);
        Assert.Equal(201, (await api.Post(Pods, PinnedPods.Pod("lost", "no-such-node", "c"))).Status);

        // Not on a node yet: nothing has run, an empty log.
        var empty = await api.Http.GetAsync($"{Pods}/waiting/log");
        Assert.Equal((200, ""), ((int)empty.StatusCode, await empty.Content.ReadAsStringAsync()));

        var (status, body) = await api.Get($"{Pods}/waiting/log?tailLines=-1&limitBytes=0");
        Assert.Equal((422, "Invalid"), (status, body["reason"]!.GetValue<string>()));
        Assert.Contains("tailLines", body["message"]!.GetValue<string>());
        Assert.Contains("limitBytes", body["message"]!.GetValue<string>());

        (status, body) = await api.Get($"{Pods}/pair/log");
        Assert.Equal((400, "a container name must be specified for pod pair, choose one of: [a b]"), (status, body["message"]!.GetValue<string>()));
        (status, body) = await api.Get($"{Pods}/pair/log?container=z");
        Assert.Equal((400, "container z is not valid for pod pair"), (status, body["message"]!.GetValue<string>()));
        (status, body) = await api.Get($"{Pods}/nosuch/log");
        Assert.Equal((404, "NotFound"), (status, body["reason"]!.GetValue<string>()));
        (status, body) = await api.Get($"{Pods}/lost/log");
        Assert.Equal(503, status);
        Assert.Contains("node \"no-such-node\" of pod \"lost\" does not exist", body["message"]!.GetValue<string>());
    }
}
