using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Kybernet.Kubelet.Tests.Pods.Probes;

/// <summary>
/// A minimal HTTP/1.1 server on a socket opened in a test namespace: answers by path with a scripted response and
/// records each request's headers. Optional TLS with a throwaway self-signed certificate.
/// </summary>
public sealed class TestHttpServer : IDisposable
{
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly X509Certificate2? _certificate;

    public TestHttpServer(ProbeNamespace ns, bool tls = false, string address = "127.0.0.1")
    {
        _listener = ns.Listen(address);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        if (tls)
            _certificate = SelfSigned();
        _loop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    public ConcurrentDictionary<string, Response> Routes { get; } = new();

    /// <summary>Each request's path and headers (names lower-cased), in arrival order.</summary>
    public ConcurrentQueue<(string Path, Dictionary<string, string> Headers)> Requests { get; } = new();

    /// <summary>Unexpected server-side errors, for the test to show.</summary>
    public ConcurrentQueue<string> Failures { get; } = new();

    public sealed record Response(int Code, string Body = "", string? Location = null, TimeSpan Delay = default);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using var _ = client;
        try
        {
            Stream stream = new NetworkStream(client, ownsSocket: false);
            if (_certificate is not null)
            {
                var ssl = new SslStream(stream);
                await ssl.AuthenticateAsServerAsync(_certificate);
                stream = ssl;
            }
            await using (stream)
            {
                var head = await ReadHeadAsync(stream);
                var lines = head.Split("\r\n");
                var path = lines[0].Split(' ')[1];
                var headers = new Dictionary<string, string>();
                foreach (var line in lines.Skip(1).Where(l => l.Contains(':')))
                {
                    var colon = line.IndexOf(':');
                    headers[line[..colon].Trim().ToLowerInvariant()] = line[(colon + 1)..].Trim();
                }
                Requests.Enqueue((path, headers));
                var response = Routes.TryGetValue(path, out var r) ? r : new Response(404, "not found");
                if (response.Delay > TimeSpan.Zero)
                    await Task.Delay(response.Delay, _stop.Token);
                var body = Encoding.UTF8.GetBytes(response.Body);
                var text = new StringBuilder($"HTTP/1.1 {response.Code} Scripted\r\nContent-Length: {body.Length}\r\nConnection: close\r\n");
                if (response.Location is not null)
                    text.Append($"Location: {response.Location}\r\n");
                text.Append("\r\n");
                await stream.WriteAsync(Encoding.ASCII.GetBytes(text.ToString()));
                await stream.WriteAsync(body);
                await stream.FlushAsync();
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
            // The probe gave up (timeout) and closed its end.
        }
        catch (Exception e)
        {
            Failures.Enqueue(e.ToString());
        }
    }

    private static async Task<string> ReadHeadAsync(Stream stream)
    {
        var buffer = new byte[8192];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(filled));
            if (read == 0)
                break;
            filled += read;
            var text = Encoding.ASCII.GetString(buffer, 0, filled);
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
                return text[..end];
        }
        return Encoding.ASCII.GetString(buffer, 0, filled);
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=probe-test", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
        _certificate?.Dispose();
        _stop.Dispose();
    }
}
