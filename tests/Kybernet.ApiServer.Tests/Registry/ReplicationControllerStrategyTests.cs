using System.Text.Json.Nodes;
using Kybernet.ApiServer.Registry;
using static Kybernet.ApiServer.Tests.Registry.StrategyAssert;

namespace Kybernet.ApiServer.Tests.Registry;

public sealed class ReplicationControllerStrategyTests
{
    private readonly ReplicationControllerStrategy _rcs = new();

    private static JsonObject Rc(string selector = "") =>
        Obj("""{"apiVersion":"v1","kind":"ReplicationController","metadata":{"name":"rc"},"spec":{""" + selector
            + """ "template":{"metadata":{"labels":{"app":"rc","tier":"a"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}""");

    [Fact]
    public void A_selector_left_out_selects_the_template_labels()
    {
        var rc = Rc();
        _rcs.Default(rc);
        Assert.Equal("""{"app":"rc","tier":"a"}""", rc["spec"]!["selector"]!.ToJsonString());
        NoCauses(_rcs.ValidateCreate(rc));
        Assert.Equal("app=rc,tier=a", Str(_rcs.FindView("scale")!.Show(rc)["status"]!["selector"]));
    }

    [Fact]
    public void A_plain_selector_must_select_the_template_and_may_change()
    {
        var rc = Rc("""
            "selector":{"app":"other"},
            """);
        HasCause(_rcs.ValidateCreate(rc), "FieldValueInvalid", "spec.template.metadata.labels");
        var narrower = Rc("""
            "selector":{"app":"rc","tier":"a"},
            """);
        NoCauses(_rcs.ValidateUpdate(narrower, Rc("""
            "selector":{"app":"rc"},
            """)));
        Assert.Equal(["status", "scale"], _rcs.Subresources.Select(s => s.Name));
    }
}
