namespace Kybernet.Client;

/// <summary>
/// Lets the client's one generic call path (the custom-objects operations, which address /apis/GROUP/VERSION/...) reach
/// the core group too: a request for /apis//v1/... (the empty group) goes to /api/v1/... . With it, list and watch for
/// any resource is the same code, whatever its group (as client-go's dynamic client).
/// </summary>
internal sealed class CoreGroupPaths : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { } uri && uri.AbsolutePath.Contains("/apis//", StringComparison.Ordinal))
        {
            var fixedUri = new UriBuilder(uri) { Path = uri.AbsolutePath.Replace("/apis//", "/api/", StringComparison.Ordinal) };
            request.RequestUri = fixedUri.Uri;
        }
        return base.SendAsync(request, cancellationToken);
    }
}
