namespace Kybernet.Overlay.Backends;

/// <summary>
/// A backend could not do all it was asked. <see cref="Problems"/> lists each lease or entry that failed,
/// naming it; everything else was applied, and the next <see cref="INetwork.Apply"/> retries from scratch.
/// </summary>
public sealed class BackendException : Exception
{
    public BackendException(string operation, IReadOnlyList<string> problems)
        : base($"{operation}: {string.Join("; ", problems)}")
    {
        Problems = problems;
    }

    public BackendException(string message) : base(message)
    {
        Problems = [message];
    }

    public IReadOnlyList<string> Problems { get; }
}
