using System.Net.Sockets;
using System.Runtime.InteropServices;
using Kybernet.Agnhost.Http;

namespace Kybernet.Agnhost.Netexec;

/// <summary>
/// agnhost netexec: the HTTP server of <see cref="NetexecHandlers"/> on --http-port and the UDP server of
/// <see cref="UdpCommandServer"/> on --udp-port (-1: none). SIGTERM exits 0, after --delay-shutdown seconds, during
/// which /readyz answers 503 while /healthz still answers 200.
/// </summary>
public static class NetexecCommand
{
    public static async Task<int> RunAsync(Flags flags)
    {
        if (flags.String("tls-cert-file", "").Length > 0)
            return Log.Fatal("netexec: --tls-cert-file is not supported by this agnhost (no TLS)");
        var options = new NetexecOptions
        {
            HttpPort = flags.Int("http-port", 8080),
            UdpPort = flags.Int("udp-port", 8081),
            SctpPort = flags.Int("sctp-port", -1),
            DelayShutdownSeconds = flags.Int("delay-shutdown", 0),
            HttpOverride = flags.String("http-override", ""),
            UdpListenAddresses = flags.String("udp-listen-addresses", "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().Order().ToList(),
        };
        if (options.SctpPort != -1)
            Log.Line($"netexec: --sctp-port {options.SctpPort} ignored: this agnhost has no SCTP server");

        var state = new NetexecState();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true; // we exit ourselves, after the delay
            OnSigterm(state, options.DelayShutdownSeconds);
        });

        var handlers = new NetexecHandlers(state);
        Func<HttpRequest, Task<HttpResponse>> handle = handlers.HandleAsync;
        if (options.HttpOverride.Length > 0)
            handle = Override(handlers, options.HttpOverride);

        var servers = new List<Task>();
        try
        {
            if (options.UdpPort != -1)
            {
                var addresses = options.UdpListenAddresses.Count == 0 ? [""] : options.UdpListenAddresses;
                foreach (var address in addresses)
                    servers.Add(UdpCommandServer.RunAsync(UdpCommandServer.Bind(address, options.UdpPort), state));
            }
            var http = HttpServer.Listen(options.HttpPort, handle);
            Log.Line($"Started HTTP server on port {options.HttpPort}");
            servers.Add(http.RunAsync());
        }
        catch (Exception e) when (e is SocketException or FormatException)
        {
            return Log.Fatal($"netexec: listen: {e.Message}");
        }
        await Task.WhenAny(servers);
        return 1; // the servers end only by failing, which is fatal (logged) already
    }

    private static void OnSigterm(NetexecState state, int delaySeconds)
    {
        if (state.Terminating)
            return;
        state.Terminating = true;
        _ = Task.Run(async () =>
        {
            if (delaySeconds > 0)
            {
                Log.Line($"Sleeping {delaySeconds} seconds before terminating...");
                await Task.Delay(TimeSpan.FromSeconds(delaySeconds));
            }
            Console.Out.Flush();
            Environment.Exit(0);
        });
    }

    /// <summary>--http-override: every request is answered as a GET of the given path and query.</summary>
    private static Func<HttpRequest, Task<HttpResponse>> Override(NetexecHandlers handlers, string target) => request =>
    {
        var head = $"GET {(target.StartsWith('/') ? target : "/" + target)} HTTP/1.1\r\n";
        var overridden = HttpServer.Parse(head, request.RemoteAddress, out var error);
        if (overridden is null)
            return Task.FromResult(HttpResponse.Error(500, $"override request failed: {error}"));
        return handlers.HandleAsync(new HttpRequest("GET", overridden.Target, overridden.Path, overridden.Query, request.Headers, request.RemoteAddress));
    };
}
