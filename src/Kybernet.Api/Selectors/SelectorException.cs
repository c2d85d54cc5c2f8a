namespace Kybernet.Api.Selectors;

/// <summary>A label or field selector that cannot be parsed or used; the message is Kubernetes' wording.</summary>
public sealed class SelectorException(string message) : Exception(message);
