using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Tests.Schemas;

/// <summary>
/// The OpenAPI documents, as the real kubectl reads them (explain; create and apply still leaving
/// validation to the server) and as a swagger 2.0 client reads /openapi/v2.
/// </summary>
public sealed class OpenApiTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private readonly Kubectl _k = server.Kubectl;

    private ApiClient Api() => new(server.DataDirectory, server.Server.Url);

    [Fact]
    public void Explain_shows_a_fields_description_and_the_fields_of_its_type()
    {
        var containers = _k.Ok("explain", "pod.spec.containers");
        Assert.Contains("KIND:       Pod", containers);
        Assert.Contains("VERSION:    v1", containers);
        Assert.Contains("FIELD: containers <[]Container>", containers);
        Assert.Contains("List of containers belonging to the pod.", containers);
        Assert.Matches(@"(?m)^  image\t<string>$", containers);
        Assert.Matches(@"(?m)^  ports\t<\[\]ContainerPort>$", containers);
        Assert.Matches(@"(?m)^  resources\t<ResourceRequirements>$", containers);
        Assert.Contains("Container image name.", containers);

        var meta = _k.Ok("explain", "configmap.metadata.labels");
        Assert.Contains("FIELD: labels <map[string]string>", meta);
    }

    [Fact]
    public void Explain_recursive_walks_a_groups_types_down_to_int_or_string()
    {
        var strategy = _k.Ok("explain", "deployment.spec.strategy", "--recursive");
        Assert.Contains("GROUP:      apps", strategy);
        Assert.Contains("KIND:       Deployment", strategy);
        Assert.Contains("FIELD: strategy <DeploymentStrategy>", strategy);
        Assert.Matches(@"(?m)^  rollingUpdate\t<RollingUpdateDeployment>$", strategy);
        Assert.Matches(@"(?m)^    maxSurge\t<IntOrString>$", strategy);
        Assert.Matches(@"(?m)^    maxUnavailable\t<IntOrString>$", strategy);
        Assert.Matches(@"(?m)^  type\t<string>$", strategy);

        var targetPort = _k.Ok("explain", "svc.spec.ports.targetPort");
        Assert.Contains("KIND:       Service", targetPort);
        Assert.Contains("FIELD: targetPort <IntOrString>", targetPort);
        Assert.Contains("Number or name of the port to access on the pods targeted by the service.", targetPort);
        Assert.Contains("either a 32-bit integer or a string", targetPort);

        var port = _k.Ok("explain", "svc.spec.ports");
        Assert.Matches(@"(?m)^  port\t<integer> -required-$", port);
    }

    [Fact]
    public void Explain_of_a_field_that_does_not_exist_says_so()
    {
        var missing = _k.Run("explain", "pod.spec.nope");
        Assert.NotEqual(0, missing.ExitCode);
        Assert.Contains("field \"nope\" does not exist", missing.Stderr);
    }

    [Fact]
    public void Create_and_apply_still_leave_validation_to_the_server()
    {
        _k.OkWith(Manifests.Namespace("schemas"), "create", "-f", "-");
        var typo = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"typo","namespace":"schemas"},"spec":{"containers":[{"name":"a","imag":"x"}]}}""";
        var created = _k.RunWith(typo, "create", "-f", "-", "-v=6");
        Assert.Contains("fieldValidation=Strict", created.Stderr);
        Assert.Contains("Error from server (BadRequest)", created.Stderr);
        Assert.Contains("unknown field \"spec.containers[0].imag\"", created.Stderr);
        var applied = _k.RunWith(typo, "apply", "-f", "-");
        Assert.Contains("unknown field \"spec.containers[0].imag\"", applied.Stderr);

        // apply of a change still sends the strategic merge patch kubectl's own types make.
        Assert.Contains("deployment.apps/web created", _k.OkWith(Manifests.Deployment("schemas", "web"), "apply", "-f", "-"));
        var changed = _k.RunWith(Manifests.Deployment("schemas", "web", replicas: 3, image: "nginx:1.28"), "apply", "-f", "-", "-v=8");
        Assert.True(changed.ExitCode == 0, changed.ToString());
        Assert.Contains("application/strategic-merge-patch+json", changed.Stderr);
        Assert.Contains("$setElementOrder/containers", changed.Stderr); // containers merged by name, as kubectl's types say
        Assert.Equal("3 nginx:1.28", _k.Ok("get", "deployment", "web", "-n", "schemas", "-o", "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}"));
    }

    [Fact]
    public async Task Every_served_kind_has_a_schema_in_its_group_versions_document_and_every_reference_resolves()
    {
        using var api = Api();
        var (_, index) = await api.Get("/openapi/v3");
        var paths = index["paths"]!.AsObject();
        Assert.Contains("api/v1", paths.Select(p => p.Key));
        Assert.Contains("apis/apps/v1", paths.Select(p => p.Key));

        var (_, discovery) = await api.Get("/apis");
        var groupVersions = new List<string> { "api/v1" };
        groupVersions.AddRange(discovery["groups"]!.AsArray().SelectMany(g => g!["versions"]!.AsArray().Select(v => $"apis/{v!["groupVersion"]}")));
        foreach (var groupVersion in groupVersions)
        {
            var url = paths[groupVersion]!["serverRelativeURL"]!.GetValue<string>();
            Assert.Matches("hash=[0-9A-F]{128}$", url);
            var (status, document) = await api.Get(url);
            Assert.Equal(200, status);
            var schemas = document["components"]!["schemas"]!.AsObject();
            var (_, resources) = await api.Get("/" + groupVersion);
            foreach (var resource in resources["resources"]!.AsArray().Where(r => !r!["name"]!.GetValue<string>().Contains('/')))
            {
                var kind = resource!["kind"]!.GetValue<string>();
                var gvk = new JsonObject { ["group"] = groupVersion == "api/v1" ? "" : groupVersion.Split('/')[1], ["kind"] = kind, ["version"] = groupVersion.Split('/')[^1] };
                Assert.True(schemas.Any(s => s.Value!["x-kubernetes-group-version-kind"] is JsonArray kinds && kinds.Any(k => JsonNode.DeepEquals(k, gvk))),
                    $"{groupVersion}: no schema for {kind}");
            }
            foreach (var reference in References(document))
                Assert.True(schemas.ContainsKey(reference["#/components/schemas/".Length..]), $"{groupVersion}: {reference} does not resolve");
        }

        var (_, pod) = await api.Get(paths["api/v1"]!["serverRelativeURL"]!.GetValue<string>());
        var intOrString = pod["components"]!["schemas"]!["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]!;
        Assert.Equal("int-or-string", intOrString["format"]!.GetValue<string>());
        Assert.Equal(2, intOrString["oneOf"]!.AsArray().Count);
        Assert.NotNull(pod["components"]!["schemas"]!["io.k8s.api.core.v1.PodSpec"]);
        Assert.NotNull(pod["components"]!["schemas"]!["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]);
    }

    [Fact]
    public async Task Openapi_v2_is_swagger_json_unless_protobuf_is_asked_for()
    {
        using var api = Api();
        var (status, swagger) = await api.Get("/openapi/v2", accept: "application/json");
        Assert.Equal(200, status);
        Assert.Equal("2.0", swagger["swagger"]!.GetValue<string>());
        var definitions = swagger["definitions"]!.AsObject();
        foreach (var name in new[] { "io.k8s.api.core.v1.Pod", "io.k8s.api.apps.v1.Deployment", "io.k8s.api.core.v1.ConfigMapList", "io.k8s.api.discovery.v1.EndpointSlice" })
            Assert.True(definitions.ContainsKey(name), name);
        Assert.Equal("#/definitions/io.k8s.api.core.v1.PodSpec", definitions["io.k8s.api.core.v1.Pod"]!["properties"]!["spec"]!["$ref"]!.GetValue<string>());
        Assert.Equal("string", definitions["io.k8s.apimachinery.pkg.util.intstr.IntOrString"]!["type"]!.GetValue<string>());
        Assert.All(References(swagger), r => Assert.True(definitions.ContainsKey(r["#/definitions/".Length..]), r));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/openapi/v2");
        request.Headers.TryAddWithoutValidation("Accept", "application/com.github.proto-openapi.spec.v2@v1.0+protobuf");
        using var response = await api.Http.SendAsync(request);
        Assert.Equal(28, (await response.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task Documents_are_built_once_and_a_client_holding_one_gets_304()
    {
        using var api = Api();
        var (_, index) = await api.Get("/openapi/v3");
        var url = index["paths"]!["api/v1"]!["serverRelativeURL"]!.GetValue<string>();
        using var first = await api.Http.GetAsync(url);
        var etag = first.Headers.ETag!.Tag;
        Assert.Equal($"\"{url[(url.IndexOf("hash=", StringComparison.Ordinal) + 5)..]}\"", etag);
        Assert.Contains("immutable", first.Headers.CacheControl!.ToString());

        using var again = new HttpRequestMessage(HttpMethod.Get, url);
        again.Headers.TryAddWithoutValidation("If-None-Match", etag);
        using var notModified = await api.Http.SendAsync(again);
        Assert.Equal(304, (int)notModified.StatusCode);
    }

    private static IEnumerable<string> References(JsonNode node) => node switch
    {
        JsonObject obj => obj.SelectMany(p => p.Key == "$ref" ? [p.Value!.GetValue<string>()] : p.Value is null ? [] : References(p.Value)),
        JsonArray array => array.OfType<JsonNode>().SelectMany(References),
        _ => [],
    };
}
