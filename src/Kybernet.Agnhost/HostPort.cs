using System.Net;
using System.Net.Sockets;

namespace Kybernet.Agnhost;

/// <summary>"host:port" and "[v6]:port" split and resolved, failures worded as Go's net package words them.</summary>
public static class HostPort
{
    /// <summary>Splits "host:port" (brackets around an IPv6 host); null with Go's reason when it is not that shape.</summary>
    public static (string Host, string Port)? Split(string address, out string? error)
    {
        error = null;
        int colon = address.LastIndexOf(':');
        if (colon < 0)
        {
            error = $"address {address}: missing port in address";
            return null;
        }
        var host = address[..colon];
        var port = address[(colon + 1)..];
        if (host.StartsWith('['))
        {
            if (!host.EndsWith(']'))
            {
                error = $"address {address}: missing ']' in address";
                return null;
            }
            host = host[1..^1];
        }
        else if (host.Contains(':'))
        {
            error = $"address {address}: too many colons in address";
            return null;
        }
        return (host, port);
    }

    public static string Join(string host, string port) => host.Contains(':') ? $"[{host}]:{port}" : $"{host}:{port}";

    /// <summary>
    /// The endpoint for host and port: an IP as it is, a name through the resolver (IPv4 first, as Go's "tcp"
    /// network prefers), an empty host the loopback. A failure is a <see cref="ResolveException"/>.
    /// </summary>
    public static async Task<IPEndPoint> ResolveAsync(string network, string host, string port)
    {
        if (!int.TryParse(port, out int number) || number < 0 || number > 65535)
            throw new ResolveException($"{(int.TryParse(port, out _) ? "invalid port" : "unknown port")} {network}/{port}", isDns: false);
        if (host.Length == 0)
            return new IPEndPoint(IPAddress.Loopback, number);
        if (IPAddress.TryParse(host, out var ip))
            return new IPEndPoint(ip, number);
        IPAddress[] addresses;
        try
        {
            addresses = await Dns.GetHostAddressesAsync(host);
        }
        catch (SocketException e)
        {
            throw new ResolveException($"lookup {host}: {GoErrors.Describe(e.SocketErrorCode)}", isDns: true);
        }
        var chosen = addresses.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
            ?? throw new ResolveException($"lookup {host}: no such host", isDns: true);
        return new IPEndPoint(chosen, number);
    }
}
