using System.Collections;
using System.Net.Sockets;
using Kybernet.Agnhost.Http;

namespace Kybernet.Agnhost;

/// <summary>
/// agnhost porter: for every environment variable SERVE_PORT_N=TEXT, an HTTP server on port N answering TEXT to any
/// request (with --json-response: {"Method":"GET","Body":"TEXT"}). SERVE_TLS_PORT_ and SERVE_SCTP_PORT_ are logged
/// as not supported: this agnhost carries no TLS or SCTP.
/// </summary>
public static class PorterCommand
{
    public const string TcpPrefix = "SERVE_PORT_";
    public const string TlsPrefix = "SERVE_TLS_PORT_";
    public const string SctpPrefix = "SERVE_SCTP_PORT_";
    public static readonly string[] BoolFlagNames = ["json-response"];

    public static async Task<int> RunAsync(Flags flags)
    {
        bool json = flags.Bool("json-response", false);
        var servers = new List<Task>();
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            var key = (string)variable.Key;
            var value = (string?)variable.Value ?? "";
            if (key.StartsWith(TcpPrefix, StringComparison.Ordinal))
                servers.Add(ServeAsync(key[TcpPrefix.Length..], value, json));
            else if (key.StartsWith(TlsPrefix, StringComparison.Ordinal) || key.StartsWith(SctpPrefix, StringComparison.Ordinal))
                Log.Line($"{key}: not supported by this agnhost (no TLS or SCTP); not served");
        }
        await Task.WhenAll(servers);
        // Upstream blocks forever, even when every server failed: the container keeps running and its log says why.
        await Task.Delay(Timeout.Infinite);
        return 0;
    }

    private static async Task ServeAsync(string port, string value, bool json)
    {
        await Task.Yield();
        if (!int.TryParse(port, out int number) || number < 0 || number > 65535)
        {
            Log.Line($"server on port \"{port}\" failed: listen tcp: address {port}: invalid port");
            return;
        }
        HttpServer server;
        try
        {
            server = HttpServer.Listen(number, request =>
            {
                Log.Line($"{request.Method} {request.Target} on port {port} from {request.RemoteAddress}");
                if (!json)
                    return Task.FromResult(HttpResponse.Ok(value));
                var body = Json.Object([new("Method", request.Method), new("Body", value)]);
                return Task.FromResult(new HttpResponse(200, body, "application/json"));
            });
        }
        catch (SocketException e)
        {
            Log.Line($"server on port \"{port}\" failed: {e.Message}");
            return;
        }
        Log.Line($"Serving on port {port}");
        await server.RunAsync();
    }
}
