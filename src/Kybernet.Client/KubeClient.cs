using k8s;
using k8s.Autorest;

namespace Kybernet.Client;

/// <summary>The typed client (the official KubernetesClient) for a kubeconfig, as agents and controllers use it.</summary>
public static class KubeClient
{
    /// <summary>A client for the current context of the kubeconfig at <paramref name="path"/> (server, CA and token or client certificate).</summary>
    /// <summary>The CA certificates the kubeconfig trusts (none when it names no CA).</summary>
    public static System.Security.Cryptography.X509Certificates.X509Certificate2Collection CaCertificates(string path) =>
        KubernetesClientConfiguration.BuildConfigFromConfigFile(path).SslCaCerts ?? [];

    public static IKubernetes FromKubeconfig(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"kubeconfig {path} does not exist", path);
        return new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path), new CoreGroupPaths());
    }

    /// <summary>The HTTP status of a failed call, or null when it did not get an answer (connection refused, reset, timed out).</summary>
    public static int? StatusOf(Exception e) => e switch
    {
        HttpOperationException h => (int)h.Response.StatusCode,
        KubernetesException k => k.Status?.Code,
        _ => null,
    };

    /// <summary>A failure in one line: "503 ServiceUnavailable: the server is shutting down" for an answer with a Status, else the message.</summary>
    public static string Describe(Exception e)
    {
        switch (e)
        {
            case KubernetesException k:
                return $"{k.Status?.Code} {k.Status?.Reason}: {k.Status?.Message}";
            case HttpOperationException h:
                try
                {
                    var status = KubernetesJson.Deserialize<k8s.Models.V1Status>(h.Response.Content);
                    if (status?.Message is { Length: > 0 } message)
                        return $"{(int)h.Response.StatusCode} {status.Reason}: {message}";
                }
                catch (Exception)
                {
                    // Not a Status body (a proxy's error page, say): the raw content below says what there is.
                }
                return $"{(int)h.Response.StatusCode} {h.Response.ReasonPhrase}: {h.Response.Content}";
            case HttpRequestException { InnerException: { } inner }:
                return $"{e.Message} ({inner.Message})";
            default:
                return e.Message;
        }
    }

    public static bool IsNotFound(Exception e) => StatusOf(e) == 404;

    public static bool IsConflict(Exception e) => StatusOf(e) == 409;
}
