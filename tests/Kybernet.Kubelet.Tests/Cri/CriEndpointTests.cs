using Kybernet.Kubelet.Cri;

namespace Kybernet.Kubelet.Tests.Cri;

public sealed class CriEndpointTests
{
    [Theory]
    [InlineData("unix:///run/containerd/containerd.sock", "/run/containerd/containerd.sock")]
    [InlineData("/run/k3s/containerd/containerd.sock", "/run/k3s/containerd/containerd.sock")]
    public void Accepts_unix_urls_and_plain_paths(string endpoint, string socket) =>
        Assert.Equal(socket, CriEndpoint.SocketPath(endpoint));

    [Theory]
    [InlineData("tcp://127.0.0.1:1234")]
    [InlineData("unix://relative.sock")]
    [InlineData("")]
    public void Refuses_anything_else_naming_it(string endpoint)
    {
        var e = Assert.Throws<ArgumentException>(() => CriEndpoint.SocketPath(endpoint));
        Assert.Contains($"'{endpoint}'", e.Message);
    }

    [Fact]
    public async Task A_call_to_a_missing_socket_fails_naming_the_operation_and_the_socket()
    {
        var socket = Path.Combine(Path.GetTempPath(), $"kyt-nosuch-{Guid.NewGuid():N}.sock");
        using var cri = new CriConnection("unix://" + socket);
        var e = await Assert.ThrowsAsync<CriException>(() => cri.VersionAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains("CRI Version", e.Message);
        Assert.Contains(socket, e.Message);
        Assert.Equal(Grpc.Core.StatusCode.Unavailable, e.Code);
    }
}
