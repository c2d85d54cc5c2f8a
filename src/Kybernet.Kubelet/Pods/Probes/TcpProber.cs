namespace Kybernet.Kubelet.Pods.Probes;

/// <summary>The tcpSocket probe: success when a connection opens within the timeout; the dial error otherwise.</summary>
public sealed class TcpProber(ProbeSocketFactory? sockets = null)
{
    private readonly ProbeSocketFactory _sockets = sockets ?? ProbeSockets.Default;

    public async Task<ProbeCheck> ProbeAsync(string host, int port, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            using var socket = await ProbeDialer.ConnectAsync(_sockets, host, port, deadline.Token).ConfigureAwait(false);
            return ProbeCheck.Success();
        }
        catch (ProbeDialException e) when (!cancellationToken.IsCancellationRequested)
        {
            return ProbeCheck.Failure(e.Message);
        }
    }
}
