namespace Kybernet.Controllers.RootCaPublisher;

/// <summary>The root CA publisher's settings (kube-controller-manager's --root-ca-file, here the certificate itself).</summary>
public sealed record RootCaPublisherOptions
{
    /// <summary>The cluster CA certificate (PEM) to publish; null: the controller does not run (upstream: no CA, no publisher).</summary>
    public string? CaPem { get; init; }
}
