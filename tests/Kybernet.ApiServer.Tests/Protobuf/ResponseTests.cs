using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Kybernet.ApiServer.Protobuf;

namespace Kybernet.ApiServer.Tests.Protobuf;

/// <summary>
/// Answers in protobuf for clients that prefer it (client-go's typed clients: kubectl describe,
/// the generators), as raw HTTP shows and the real kubectl reads; JSON stays the default.
/// </summary>
public sealed class ResponseTests(ServerFixture server) : IClassFixture<ServerFixture>, IDisposable
{
    private const string ProtobufFirst = "application/vnd.kubernetes.protobuf, */*";
    private readonly ApiClient _api = new(server.DataDirectory, server.Server.Url);

    public void Dispose() => _api.Dispose();

    private async Task<(int Status, string? ContentType, byte[] Body)> Get(string path, string accept)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await _api.Http.SendAsync(request);
        return ((int)response.StatusCode, response.Content.Headers.ContentType?.ToString(), await response.Content.ReadAsByteArrayAsync());
    }

    private async Task CreateConfigMap(string name) =>
        Assert.Equal(201, (await _api.Post("/api/v1/namespaces/default/configmaps", new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ConfigMap",
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["set"] = "proto" } },
            ["data"] = new JsonObject { ["mode"] = "fast", ["empty"] = "" },
        })).Status);

    [Fact]
    public async Task An_object_is_sent_in_protobuf_to_a_client_that_prefers_it()
    {
        await CreateConfigMap("answer");
        var (status, contentType, body) = await Get("/api/v1/namespaces/default/configmaps/answer", ProtobufFirst);
        Assert.Equal(200, status);
        Assert.Equal("application/vnd.kubernetes.protobuf", contentType);
        Assert.True(body.AsSpan().StartsWith("k8s\0"u8));
        var (_, json) = await _api.Get("/api/v1/namespaces/default/configmaps/answer");
        var decoded = KubernetesProtobuf.Decode(body);
        Assert.True(JsonNode.DeepEquals(json, decoded), $"json    {json.ToJsonString()}\ndecoded {decoded.ToJsonString()}");

        // JSON stays the default, and what a client names first wins.
        Assert.StartsWith("application/json", (await Get("/api/v1/namespaces/default/configmaps/answer", "application/json, application/vnd.kubernetes.protobuf")).ContentType);
        Assert.StartsWith("application/json", (await Get("/api/v1/namespaces/default/configmaps/answer", "*/*")).ContentType);
    }

    [Fact]
    public async Task Lists_and_errors_are_sent_in_protobuf_and_tables_stay_json()
    {
        await CreateConfigMap("listed");
        var (status, contentType, body) = await Get("/api/v1/namespaces/default/configmaps?labelSelector=set%3Dproto", "application/vnd.kubernetes.protobuf,application/json");
        Assert.Equal((200, "application/vnd.kubernetes.protobuf"), (status, contentType));
        var list = KubernetesProtobuf.Decode(body);
        Assert.Equal("ConfigMapList", list["kind"]!.GetValue<string>());
        Assert.NotEmpty(list["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Contains(list["items"]!.AsArray(), i => i!["metadata"]!["name"]!.GetValue<string>() == "listed");

        (status, contentType, body) = await Get("/api/v1/namespaces/default/configmaps/missing", ProtobufFirst);
        Assert.Equal((404, "application/vnd.kubernetes.protobuf"), (status, contentType));
        var error = KubernetesProtobuf.Decode(body);
        Assert.Equal(("Status", "Failure", "NotFound", 404), (error["kind"]!.GetValue<string>(), error["status"]!.GetValue<string>(), error["reason"]!.GetValue<string>(), error["code"]!.GetValue<int>()));
        Assert.Equal("missing", error["details"]!["name"]!.GetValue<string>());

        (status, contentType, _) = await Get("/api/v1/namespaces/default/configmaps", "application/json;as=Table;v=v1;g=meta.k8s.io,application/vnd.kubernetes.protobuf");
        Assert.Equal((200, "application/json;as=Table;v=v1;g=meta.k8s.io"), (status, contentType?.Replace(" ", "")));
    }

    [Fact]
    public async Task A_watch_in_protobuf_is_length_prefixed_watch_events()
    {
        await CreateConfigMap("watched");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/namespaces/default/configmaps?watch=true&fieldSelector=metadata.name%3Dwatched");
        request.Headers.TryAddWithoutValidation("Accept", "application/vnd.kubernetes.protobuf;stream=watch");
        using var response = await _api.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("application/vnd.kubernetes.protobuf; stream=watch", response.Content.Headers.ContentType?.ToString());
        await using var stream = await response.Content.ReadAsStreamAsync();
        var length = new byte[4];
        await stream.ReadExactlyAsync(length);
        var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(length)];
        await stream.ReadExactlyAsync(frame);
        var watchEvent = ProtoToJson.Decode(frame, ProtoSchema.Kubernetes.ForKind("v1", "WatchEvent")!);
        Assert.Equal("ADDED", watchEvent["type"]!.GetValue<string>());
        Assert.Equal("watched", watchEvent["object"]!["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("fast", watchEvent["object"]!["data"]!["mode"]!.GetValue<string>());
    }

    [Fact]
    public void Kubectl_describe_reads_protobuf_answers()
    {
        var k = server.Kubectl;
        k.Ok("create", "deployment", "shown", "--image=nginx", "--replicas=2", "--port=80");
        var result = k.Run("-v=8", "describe", "deployment", "shown");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Content-Type: application/vnd.kubernetes.protobuf", result.Stderr); // describe's typed client asked for protobuf and got it
        Assert.Matches(@"Replicas:\s+2 desired", result.Stdout);
        Assert.Matches(@"Image:\s+nginx", result.Stdout);
        Assert.Matches(@"Port:\s+80/TCP", result.Stdout);
        Assert.Matches(@"Selector:\s+app=shown", result.Stdout);
    }
}
