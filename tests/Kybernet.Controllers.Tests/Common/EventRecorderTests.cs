using k8s;
using k8s.Models;
using Kybernet.Client;

namespace Kybernet.Controllers.Tests.Common;

public sealed class EventRecorderTests
{
    private static V1ConfigMap Subject(string uid) => new() { Metadata = new V1ObjectMeta { Name = "subject", NamespaceProperty = "default", Uid = uid } };

    [Fact]
    public async Task The_same_event_again_is_counted_on_the_first_and_one_object_gets_at_most_a_burst_of_25()
    {
        await using var server = await TestApiServer.StartAsync();
        await using (var events = new EventRecorder(server.NewClient(asControllerManager: true), "test-controller"))
        {
            events.Record(Subject("a"), "v1", "ConfigMap", EventRecorder.Normal, "Same", "the same thing");
            events.Record(Subject("a"), "v1", "ConfigMap", EventRecorder.Normal, "Same", "the same thing");
            for (var i = 0; i < 40; i++)
                events.Record(Subject("b"), "v1", "ConfigMap", EventRecorder.Normal, "Different", $"thing {i}");
        } // disposing writes what is pending

        var written = (await server.Client.CoreV1.ListNamespacedEventAsync("default")).Items;
        var same = Assert.Single(written, e => e.InvolvedObject.Uid == "a");
        Assert.Equal(2, same.Count);
        Assert.Equal("test-controller", same.Source.Component);
        Assert.Equal(25, written.Count(e => e.InvolvedObject.Uid == "b"));
    }
}
