using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using Kybernet.Kubelet.Cri.V1;

namespace Kybernet.Kubelet.Cri;

/// <summary>
/// One gRPC channel (HTTP/2 over the runtime's unix socket) carrying both CRI services. Every call goes through
/// <see cref="CallAsync"/>, which gives it a deadline and turns an <see cref="RpcException"/> into a
/// <see cref="CriException"/> that names the operation and the socket. The channel reconnects by itself, so one
/// connection outlives a runtime restart: calls fail with Unavailable meanwhile, then work again.
/// </summary>
public sealed class CriConnection : IDisposable
{
    /// <summary>The deadline of a call that names none: long enough for a sandbox start on a busy node.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(2);

    private readonly GrpcChannel _channel;

    public CriConnection(string endpoint, TimeSpan? defaultTimeout = null)
    {
        Socket = CriEndpoint.SocketPath(endpoint);
        Timeout = defaultTimeout ?? DefaultTimeout;
        var socketPath = Socket;
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancel) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancel);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
            // HTTP/2 over a local socket: keep the one connection alive while idle.
            PooledConnectionIdleTimeout = System.Threading.Timeout.InfiniteTimeSpan,
            EnableMultipleHttp2Connections = true,
        };
        // The host name is a placeholder: the connect callback decides where the bytes go.
        _channel = GrpcChannel.ForAddress("http://localhost", new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = 16 * 1024 * 1024,
        });
        Runtime = new RuntimeService.RuntimeServiceClient(_channel);
        Images = new ImageService.ImageServiceClient(_channel);
    }

    /// <summary>The runtime's socket path.</summary>
    public string Socket { get; }

    public TimeSpan Timeout { get; }

    public RuntimeService.RuntimeServiceClient Runtime { get; }

    public ImageService.ImageServiceClient Images { get; }

    /// <summary>
    /// Runs one unary CRI call named <paramref name="operation"/> with a deadline (<paramref name="timeout"/>, else
    /// <see cref="Timeout"/>): <c>await cri.CallAsync("RunPodSandbox", o => cri.Runtime.RunPodSandboxAsync(request, o))</c>.
    /// </summary>
    public async Task<TResponse> CallAsync<TResponse>(string operation, Func<CallOptions, AsyncUnaryCall<TResponse>> call, TimeSpan? timeout = null, CancellationToken cancel = default)
    {
        var options = new CallOptions(deadline: DateTime.UtcNow + (timeout ?? Timeout), cancellationToken: cancel);
        try
        {
            using var pending = call(options);
            return await pending.ResponseAsync.ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            throw new CriException(operation, Socket, e);
        }
    }

    /// <summary>The runtime's name and versions; the first call a kubelet makes.</summary>
    public Task<VersionResponse> VersionAsync(TimeSpan? timeout = null, CancellationToken cancel = default) =>
        CallAsync("Version", o => Runtime.VersionAsync(new VersionRequest { Version = "v1" }, o), timeout, cancel);

    /// <summary>The runtime's conditions (RuntimeReady, NetworkReady).</summary>
    public Task<StatusResponse> StatusAsync(TimeSpan? timeout = null, CancellationToken cancel = default) =>
        CallAsync("Status", o => Runtime.StatusAsync(new StatusRequest(), o), timeout, cancel);

    public void Dispose() => _channel.Dispose();
}
