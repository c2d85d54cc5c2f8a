using System.Text.Json.Nodes;
using Kybernet.ApiServer.Registry;
using static Kybernet.ApiServer.Tests.Registry.StrategyAssert;

namespace Kybernet.ApiServer.Tests.Registry;

public sealed class NodeStrategyTests
{
    private readonly NodeStrategy _nodes = new();

    private static JsonObject Node(string spec = "{}", string status = """{"conditions":[{"type":"Ready","status":"True"}]}""") =>
        Obj("""{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-1","labels":{"role":"worker"}},"spec":""" + spec + ""","status":""" + status + "}");

    [Fact]
    public void A_kubelet_registers_its_node_with_its_status()
    {
        var node = Node();
        _nodes.PrepareForCreate(node);
        Assert.Equal("Ready", Str(node["status"]!["conditions"]![0]!["type"]));
        var bare = Obj("""{"metadata":{"name":"n"}}""");
        _nodes.PrepareForCreate(bare);
        Assert.Equal("{}", bare["status"]!.ToJsonString());
    }

    [Fact]
    public void Status_writes_keep_labels_and_annotations_but_never_the_spec()
    {
        var current = Node("""{"podCIDR":"10.244.1.0/24"}""");
        var written = Node("""{"podCIDR":"10.244.2.0/24"}""", """{"conditions":[{"type":"NetworkUnavailable","status":"False"}]}""");
        written["metadata"]!["annotations"] = new JsonObject { ["flannel.alpha.coreos.com/public-ip"] = "192.168.200.11" };
        written["metadata"]!.AsObject().Remove("labels");
        var stored = _nodes.FindView("status")!.ApplyTo(current, written);
        Assert.Equal("10.244.1.0/24", Str(stored["spec"]!["podCIDR"]));
        Assert.Equal("NetworkUnavailable", Str(stored["status"]!["conditions"]![0]!["type"]));
        Assert.Equal("192.168.200.11", Str(stored["metadata"]!["annotations"]!["flannel.alpha.coreos.com/public-ip"]));
        Assert.Null(stored["metadata"]!["labels"]);

        var next = Node(status: """{"conditions":[]}""");
        _nodes.PrepareForUpdate(next, current);
        Assert.Equal("Ready", Str(next["status"]!["conditions"]![0]!["type"]));
    }

    [Fact]
    public void A_pod_cidr_is_set_once()
    {
        var empty = Node();
        var given = Node("""{"podCIDR":"10.244.1.0/24","podCIDRs":["10.244.1.0/24"]}""");
        NoCauses(_nodes.ValidateUpdate(given, empty));
        NoCauses(_nodes.ValidateUpdate(given, given));
        var changed = Node("""{"podCIDR":"10.244.2.0/24","podCIDRs":["10.244.2.0/24"]}""");
        var causes = _nodes.ValidateUpdate(changed, given);
        HasCause(causes, "FieldValueForbidden", "spec.podCIDR");
        HasCause(causes, "FieldValueForbidden", "spec.podCIDRs");
    }
}
