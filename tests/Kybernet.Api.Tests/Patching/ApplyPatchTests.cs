using Kybernet.Api.Patching;

namespace Kybernet.Api.Tests.Patching;

public class ApplyPatchTests
{
    private const string Live = """
        {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","uid":"u1","labels":{"app":"web"}},
         "spec":{"replicas":1,"template":{"spec":{"containers":[
            {"name":"web","image":"nginx:1.26","imagePullPolicy":"IfNotPresent"},
            {"name":"injected","image":"proxy"}]}}}}
        """;

    [Fact]
    public void WithoutALiveObjectTheConfigurationIsTheObject()
    {
        const string config = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"k":"v"}}""";
        Json.Equal(config, ApplyPatch.Apply(null, Json.Object(config), PatchSchema.Kubernetes, "ConfigMap"));
    }

    [Fact]
    public void MergesIntoTheLiveObjectWithListsByMergeKey()
    {
        var result = ApplyPatch.Apply(Json.Parse(Live), Json.Object("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
             "spec":{"replicas":3,"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}}}
            """), PatchSchema.Kubernetes);
        Json.Equal("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","uid":"u1","labels":{"app":"web"}},
             "spec":{"replicas":3,"template":{"spec":{"containers":[
                {"name":"web","image":"nginx:1.27","imagePullPolicy":"IfNotPresent"},
                {"name":"injected","image":"proxy"}]}}}}
            """, result);
    }

    [Fact]
    public void SimplificationFieldsDroppedFromTheConfigurationStay()
    {
        // Real server-side apply would remove labels.app if this manager had applied it before.
        var result = ApplyPatch.Apply(Json.Parse(Live), Json.Object("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","labels":{}}}
            """), PatchSchema.Kubernetes, "Deployment");
        Assert.Equal("web", (string?)result!["metadata"]!["labels"]!["app"]);
    }

    [Theory]
    [InlineData("""{"kind":"Deployment","metadata":{"name":"web"}}""", "an apply configuration must set apiVersion and kind")]
    [InlineData("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"web"}}""", "the apply configuration is a Service, but the object is a Deployment")]
    [InlineData("""{"apiVersion":"apps/v1","kind":"Deployment","spec":{"template":{"spec":{"containers":[{"name":"web","$patch":"delete"}]}}}}""",
        """apply configuration at "spec.template.spec.containers.$patch": patch directives are not allowed in server-side apply""")]
    public void RejectsBadConfigurations(string config, string message)
    {
        var e = Assert.Throws<PatchException>(() => ApplyPatch.Apply(Json.Parse(Live), Json.Object(config), PatchSchema.Kubernetes));
        Assert.Equal(PatchFailure.BadRequest, e.Failure);
        Assert.Equal(message, e.Message);
    }
}
