namespace Kybernet.Agnhost;

/// <summary>An address that did not resolve: a bad port, or (<see cref="IsDns"/>) a name the resolver did not know.</summary>
public sealed class ResolveException(string message, bool isDns) : Exception(message)
{
    public bool IsDns { get; } = isDns;
}
