using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Kybernet.Kubelet.Pods.Probes;

/// <summary>
/// Connects a TCP socket for a probe and words failures as Go's dialer does, because upstream's probe messages
/// (what users grep events for) carry the dial error verbatim.
/// </summary>
public static class ProbeDialer
{
    /// <summary>host:port as Go's net.JoinHostPort writes it (IPv6 in brackets).</summary>
    public static string JoinHostPort(string host, int port) =>
        host.Contains(':', StringComparison.Ordinal) ? $"[{host}]:{port.ToString(CultureInfo.InvariantCulture)}" : $"{host}:{port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Connects to host:port; throws <see cref="ProbeDialException"/> on refusal, unreachability or when <paramref name="cancellationToken"/> fires (the probe's timeout).</summary>
    public static async Task<Socket> ConnectAsync(ProbeSocketFactory sockets, string host, int port, CancellationToken cancellationToken)
    {
        var address = await ResolveAsync(host, port, cancellationToken).ConfigureAwait(false);
        var target = JoinHostPort(host, port);
        var socket = sockets(address.AddressFamily);
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(new IPEndPoint(address, port), cancellationToken).ConfigureAwait(false);
            return socket;
        }
        catch (OperationCanceledException e)
        {
            socket.Dispose();
            throw new ProbeDialException($"dial tcp {target}: i/o timeout", e);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new ProbeDialException($"dial tcp {target}: connect: {Describe(e.SocketErrorCode, e.Message)}", e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private static async Task<IPAddress> ResolveAsync(string host, int port, CancellationToken cancellationToken)
    {
        if (IPAddress.TryParse(host, out var literal))
            return literal;
        try
        {
            var found = await System.Net.Dns.GetHostAddressesAsync(host, cancellationToken).ConfigureAwait(false);
            return found.Length > 0 ? found[0] : throw new ProbeDialException($"dial tcp: lookup {host}: no such host");
        }
        catch (OperationCanceledException e)
        {
            throw new ProbeDialException($"dial tcp {JoinHostPort(host, port)}: i/o timeout", e);
        }
        catch (SocketException e)
        {
            throw new ProbeDialException($"dial tcp: lookup {host}: no such host", e);
        }
    }

    /// <summary>The errno text Go prints (strerror, lower case).</summary>
    private static string Describe(SocketError error, string fallback) => error switch
    {
        SocketError.ConnectionRefused => "connection refused",
        SocketError.HostUnreachable => "no route to host",
        SocketError.NetworkUnreachable => "network is unreachable",
        SocketError.TimedOut => "connection timed out",
        SocketError.AddressNotAvailable => "cannot assign requested address",
        SocketError.ConnectionReset => "connection reset by peer",
        _ => fallback.ToLowerInvariant(),
    };
}
