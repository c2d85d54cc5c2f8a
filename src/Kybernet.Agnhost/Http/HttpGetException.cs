namespace Kybernet.Agnhost.Http;

/// <summary>A failed <see cref="HttpGet"/>, its message worded as Go's HTTP client words it.</summary>
public sealed class HttpGetException(string message) : Exception(message);
