namespace Kybernet.Streams.RemoteCommand;

/// <summary>
/// Which standard streams an exec or attach carries (the query's stdin, stdout, stderr and tty). Under a terminal
/// stderr is merged into stdout, as a terminal has one output, and a resize stream carries the window size.
/// </summary>
public sealed record RemoteCommandStreams(bool Stdin, bool Stdout, bool Stderr, bool Tty)
{
    /// <summary>The SPDY streams to open, the error stream first (upstream's order), by their <c>streamtype</c>.</summary>
    public IEnumerable<string> SpdyStreamTypes()
    {
        yield return StreamProtocols.Error;
        if (Stdin)
            yield return StreamProtocols.Stdin;
        if (Stdout)
            yield return StreamProtocols.Stdout;
        if (Stderr && !Tty)
            yield return StreamProtocols.Stderr;
        if (Tty)
            yield return StreamProtocols.Resize;
    }
}
