namespace Kybernet.ApiServer.Http;

/// <summary>
/// The client stopped sending its request (an HTTP/2 stream reset, a closed connection) while its
/// body was read. Kestrel reports that as a plain IOException, sometimes before RequestAborted
/// fires; naming it here lets the router tell it from a failure of the server's own.
/// </summary>
public sealed class ClientGoneException(IOException cause) : IOException(cause.Message, cause);
