namespace Kybernet.Agnhost;

/// <summary>
/// One line per event on stdout, stamped like Go's log package ("2006/01/02 15:04:05 message"), so `kubectl logs`
/// of our agnhost reads like upstream's. Lines from concurrent handlers never interleave: Console.Out is synchronized.
/// </summary>
public static class Log
{
    public static void Line(string message) =>
        Console.Out.WriteLine($"{DateTime.UtcNow:yyyy'/'MM'/'dd HH':'mm':'ss} {message}");

    /// <summary>Logs <paramref name="message"/> and ends the process with 1, as Go's log.Fatal does.</summary>
    public static int Fatal(string message)
    {
        Line(message);
        Console.Out.Flush();
        Environment.Exit(1);
        return 1;
    }
}
