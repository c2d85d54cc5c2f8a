using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Store.Etcd;

/// <summary>
/// Where the etcd cluster is and which part of its key space is ours.
/// <see cref="Endpoints"/> are the client URLs (http://host:port; TLS is not wired yet); <see cref="KeyPrefix"/> is put in
/// front of every key, so several users (an API server, flannel-style subnet managers, tests) can share
/// one etcd: the store's keys are relative to it, as kube-apiserver's are to "/registry".
/// </summary>
public sealed record EtcdStoreOptions(IReadOnlyList<Uri> Endpoints, string KeyPrefix = "")
{
    /// <summary>Deadline for each unary request; without one a call to a cluster without quorum waits forever.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Where broken watch streams (and their reconnection) are reported; nothing by default.</summary>
    public ILogger Log { get; init; } = NullLogger.Instance;

    /// <summary>
    /// Parses "http://127.0.0.1:2379,http://127.0.0.1:22379", "127.0.0.1:2379" or the form
    /// <c>kybernet server --store</c> passes, "etcd://HOST:PORT[,HOST:PORT...][/PREFIX]" (the path,
    /// if any, becomes the key prefix unless <paramref name="keyPrefix"/> is given).
    /// </summary>
    public static EtcdStoreOptions Parse(string endpoints, string? keyPrefix = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoints);
        var text = endpoints.Trim();
        string? pathPrefix = null;
        if (text.StartsWith("etcd://", StringComparison.OrdinalIgnoreCase))
        {
            text = text["etcd://".Length..];
            var slash = text.IndexOf('/');
            if (slash >= 0)
            {
                pathPrefix = text[slash..];
                text = text[..slash];
            }
        }

        var uris = new List<Uri>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var withScheme = part.Contains("://", StringComparison.Ordinal) ? part : "http://" + part;
            var hostAndPort = withScheme[(withScheme.IndexOf("://", StringComparison.Ordinal) + 3)..].TrimEnd('/');
            if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri) || uri.Scheme != "http" || !hostAndPort.Contains(':'))
            {
                throw new FormatException($"etcd endpoint \"{part}\" in \"{endpoints}\": expected http://HOST:PORT or HOST:PORT (TLS is not wired yet)");
            }
            uris.Add(uri);
        }
        if (uris.Count == 0)
        {
            throw new FormatException($"etcd endpoints \"{endpoints}\": no endpoint given");
        }
        return new EtcdStoreOptions(uris, NormalizePrefix(keyPrefix ?? pathPrefix ?? ""));
    }

    /// <summary>"/registry/" and "/registry" mean the same; the store joins prefix and key as given.</summary>
    internal static string NormalizePrefix(string prefix) => prefix.TrimEnd('/');
}
