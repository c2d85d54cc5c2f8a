using System.Text;
using System.Text.Json.Nodes;

namespace Kybernet.ApiServer.Tests.Http;

/// <summary>
/// Size limits as upstream has them: a body over 3 MiB is 413 RequestEntityTooLarge, ConfigMap and
/// Secret data over 1 MiB and annotations over 256 KiB are 422, an object whose stored form is over
/// etcd's 1.5 MiB is refused with etcd's message; and in every case nothing is stored.
/// </summary>
public sealed class LimitsTests : IClassFixture<ServerFixture>, IDisposable
{
    private static int _counter;
    private readonly ServerFixture _server;
    private readonly Kubectl _k;
    private readonly ApiClient _api;
    private readonly string _ns;

    public LimitsTests(ServerFixture server)
    {
        _server = server;
        _k = server.Kubectl;
        _api = new ApiClient(server.DataDirectory, server.Server.Url);
        _ns = $"l{Interlocked.Increment(ref _counter)}-{Guid.NewGuid():N}"[..12];
        _k.OkWith(Manifests.Namespace(_ns), "create", "-f", "-");
    }

    public void Dispose() => _api.Dispose();

    private string Cm => $"/api/v1/namespaces/{_ns}/configmaps";

    private JsonObject ConfigMap(string name, string data) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = _ns },
        ["data"] = new JsonObject { ["blob"] = data },
    };

    private async Task AssertNothingStored(string name)
    {
        Assert.Equal(404, (await _api.Get($"{Cm}/{name}")).Status);
        var (_, list) = await _api.Get(Cm);
        Assert.DoesNotContain(list["items"]!.AsArray(), i => i!["metadata"]!["name"]!.GetValue<string>() == name);
    }

    [Fact]
    public async Task A_20_MB_configmap_from_kubectl_is_refused_with_413_and_not_stored()
    {
        var manifest = ConfigMap("big", new string('x', 20 * 1024 * 1024)).ToJsonString();
        var created = _k.RunWith(manifest, "create", "-f", "-");
        Assert.NotEqual(0, created.ExitCode);
        Assert.Contains("Error from server (RequestEntityTooLarge)", created.Stderr);
        Assert.Contains("Request entity too large: limit is 3145728", created.Stderr);

        // kubectl's generator sends it as protobuf: the same answer.
        var file = Path.Combine(_server.DataDirectory, $"big-{_ns}.txt");
        await File.WriteAllTextAsync(file, new string('y', 20 * 1024 * 1024));
        try
        {
            var generated = _k.Run("create", "configmap", "big", "-n", _ns, $"--from-file=blob={file}");
            Assert.Contains("Request entity too large: limit is 3145728", generated.Stderr);
        }
        finally
        {
            File.Delete(file);
        }

        Assert.Contains("NotFound", _k.Run("get", "configmap", "big", "-n", _ns).Stderr);
        await AssertNothingStored("big");
    }

    [Fact]
    public async Task A_body_over_3_MiB_is_413_with_upstreams_status_whether_its_length_is_announced_or_not()
    {
        var (status, body) = await _api.Post(Cm, ConfigMap("announced", new string('x', 20 * 1024 * 1024)));
        Assert.Equal(413, status);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Request entity too large: limit is 3145728","reason":"RequestEntityTooLarge","code":413}""",
            body.ToJsonString());

        // Chunked, no Content-Length: refused once the 3 MiB are read.
        using var request = new HttpRequestMessage(HttpMethod.Post, Cm)
        {
            Content = new StringContent(ConfigMap("chunked", new string('x', 4 * 1024 * 1024)).ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.TransferEncodingChunked = true;
        using var response = await _api.Http.SendAsync(request);
        Assert.Equal(413, (int)response.StatusCode);
        Assert.Contains("Request entity too large: limit is 3145728", await response.Content.ReadAsStringAsync());

        await AssertNothingStored("announced");
        await AssertNothingStored("chunked");
    }

    [Fact]
    public async Task Data_over_1_MiB_and_annotations_over_256_KiB_are_invalid_as_upstream_words_it()
    {
        var tooMuchData = _k.RunWith(ConfigMap("data", new string('x', 1024 * 1024 + 1)).ToJsonString(), "create", "-f", "-");
        Assert.Contains($"The ConfigMap \"data\" is invalid: []: Too long: may not be more than 1048576 bytes", tooMuchData.Stderr);
        Assert.Equal(201, (await _api.Post(Cm, ConfigMap("at-the-limit", new string('x', 1024 * 1024)))).Status);

        var secret = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = "big" },
            ["stringData"] = new JsonObject { ["blob"] = new string('s', 1024 * 1024 + 1) },
        };
        var (secretStatus, secretBody) = await _api.Post($"/api/v1/namespaces/{_ns}/secrets", secret);
        Assert.Equal(422, secretStatus);
        Assert.Equal("Secret \"big\" is invalid: data: Too long: may not be more than 1048576 bytes", secretBody["message"]!.GetValue<string>());

        var annotated = ConfigMap("annotated", "small");
        annotated["metadata"]!["annotations"] = new JsonObject { ["note"] = new string('a', 256 * 1024) };
        var (annotatedStatus, annotatedBody) = await _api.Post(Cm, annotated);
        Assert.Equal(422, annotatedStatus);
        var cause = annotatedBody["details"]!["causes"]![0]!;
        Assert.Equal(("FieldValueTooLong", "metadata.annotations", "Too long: may not be more than 262144 bytes"),
            (cause["reason"]!.GetValue<string>(), cause["field"]!.GetValue<string>(), cause["message"]!.GetValue<string>()));

        await AssertNothingStored("data");
        await AssertNothingStored("annotated");
        Assert.Equal(404, (await _api.Get($"/api/v1/namespaces/{_ns}/secrets/big")).Status);
    }

    [Fact]
    public async Task An_object_stored_larger_than_etcds_request_limit_is_refused_with_etcds_message()
    {
        // Upstream's own case (TestObjectSizeResponses): 25000 labels, a body under 3 MiB, over 1.5 MiB stored.
        var labels = new JsonObject();
        for (int i = 0; i < 25000; i++)
            labels[$"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa{i}"] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        var labelled = ConfigMap("labelled", "small");
        labelled["metadata"]!["labels"] = labels;

        var (status, body) = await _api.Post(Cm, labelled);
        Assert.Equal(413, status);
        Assert.Equal("RequestEntityTooLarge", body["reason"]!.GetValue<string>());
        Assert.StartsWith("etcdserver: request is too large", body["message"]!.GetValue<string>());
        await AssertNothingStored("labelled");

        // An update that grows an object past the limit is refused the same way, and leaves it as it was.
        Assert.Equal(201, (await _api.Post(Cm, ConfigMap("grows", "small"))).Status);
        labelled["metadata"]!["name"] = "grows";
        var (updated, _) = await _api.Put($"{Cm}/grows", labelled);
        Assert.Equal(413, updated);
        var (_, stored) = await _api.Get($"{Cm}/grows");
        Assert.Null(stored["metadata"]!["labels"]);
    }
}
