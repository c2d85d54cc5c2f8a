using System.Text.Json.Nodes;
using Kybernet.ApiServer.Http;
using Kybernet.ApiServer.Registry;
using static Kybernet.ApiServer.Tests.Registry.StrategyAssert;

namespace Kybernet.ApiServer.Tests.Registry;

public sealed class NamespaceStrategyTests
{
    private readonly NamespaceStrategy _namespaces = new();

    private static JsonObject Namespace(string name = "team-a", string extra = "") =>
        Obj($$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{name}}"}{{extra}}}""");

    [Fact]
    public void A_new_namespace_is_active_and_held_by_the_kubernetes_finalizer()
    {
        var ns = Namespace(extra: ""","spec":{"finalizers":["example.com/x"]},"status":{"phase":"Terminating"}""");
        _namespaces.PrepareForCreate(ns);
        Assert.Equal("Active", Str(ns["status"]!["phase"]));
        Assert.Equal(["example.com/x", "kubernetes"], ns["spec"]!["finalizers"]!.AsArray().Select(Str));

        var bare = Namespace();
        _namespaces.PrepareForCreate(bare);
        Assert.Equal(["kubernetes"], bare["spec"]!["finalizers"]!.AsArray().Select(Str));
    }

    [Fact]
    public void Every_namespace_is_labelled_with_its_name()
    {
        var ns = Obj("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a","labels":{"kubernetes.io/metadata.name":"lie","tier":"x"}}}""");
        _namespaces.Default(ns);
        Assert.Equal("team-a", Str(ns["metadata"]!["labels"]![NamespaceStrategy.NameLabel]));
        Assert.Equal("x", Str(ns["metadata"]!["labels"]!["tier"]));
    }

    [Fact]
    public void The_main_resource_keeps_status_and_spec_finalizers_and_finalize_changes_only_those()
    {
        var current = Namespace(extra: ""","spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}""");
        var next = Namespace(extra: ""","spec":{"finalizers":[]},"status":{"phase":"Terminating"}""");
        next["metadata"]!["labels"] = new JsonObject { ["tier"] = "x" };
        _namespaces.PrepareForUpdate(next, current);
        Assert.Equal(["kubernetes"], next["spec"]!["finalizers"]!.AsArray().Select(Str));
        Assert.Equal("Active", Str(next["status"]!["phase"]));
        Assert.Equal("x", Str(next["metadata"]!["labels"]!["tier"])); // the rest of the update stands

        var finalize = _namespaces.FindView("finalize")!;
        Assert.Equal(["update"], finalize.Verbs);
        var written = Namespace(extra: ""","spec":{"finalizers":["example.com/y"]},"status":{"phase":"Gone"}""");
        written["metadata"]!["labels"] = new JsonObject { ["tier"] = "y" };
        var finalized = finalize.ApplyTo(current, written);
        Assert.Equal(["example.com/y"], finalized["spec"]!["finalizers"]!.AsArray().Select(Str));
        Assert.Equal("Active", Str(finalized["status"]!["phase"]));
        Assert.Null(finalized["metadata"]!["labels"]);
        Assert.Null(finalize.ApplyTo(current, Namespace())["spec"]!["finalizers"]);
    }

    [Fact]
    public void Names_are_dns_labels_and_finalizers_qualified_names()
    {
        NoCauses(_namespaces.ValidateCreate(Namespace(extra: ""","spec":{"finalizers":["kubernetes","example.com/x"]}""")));
        HasCause(_namespaces.ValidateCreate(Namespace("a.b")), "FieldValueInvalid", "metadata.name");
        HasCause(_namespaces.ValidateCreate(Namespace(extra: ""","spec":{"finalizers":["not a name"]}""")), "FieldValueInvalid", "spec.finalizers[0]");
    }

    [Fact]
    public void Deleting_marks_it_terminating_and_it_goes_once_no_finalizer_of_either_kind_is_left()
    {
        foreach (var name in new[] { "default", "kube-system", "kube-public" })
            Assert.Equal(403, Assert.Throws<ApiException>(() => _namespaces.ValidateDelete(name)).Code);
        _namespaces.ValidateDelete("kube-node-lease");
        _namespaces.ValidateDelete("team-a");

        Assert.True(_namespaces.MarksBeforeRemoval);
        var marked = Namespace(extra: ""","status":{"phase":"Active"}""");
        _namespaces.PrepareForDelete(marked);
        Assert.Equal("Terminating", Str(marked["status"]!["phase"]));

        Assert.False(_namespaces.CanRemove(Namespace(extra: ""","spec":{"finalizers":["kubernetes"]}""")));
        var heldByMetadata = Namespace(extra: ""","spec":{"finalizers":[]}""");
        heldByMetadata["metadata"]!["finalizers"] = new JsonArray("example.com/keep");
        Assert.False(_namespaces.CanRemove(heldByMetadata));
        Assert.True(_namespaces.CanRemove(Namespace(extra: ""","spec":{"finalizers":[]}""")));
        Assert.True(_namespaces.CanRemove(Namespace()));
    }

    [Fact]
    public void Subresources_are_status_and_finalize()
    {
        Assert.Equal(["status", "finalize"], _namespaces.Subresources.Select(s => s.Name));
        Assert.All(_namespaces.Subresources, s => Assert.Equal("Namespace", s.ResponseKind.Kind));
    }
}
