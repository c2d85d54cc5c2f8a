namespace Kybernet.Bench;

/// <summary>Placeholder entry point so the solution builds until the benchmarks exist.</summary>
public static class Program
{
    public static int Main()
    {
        Console.Error.WriteLine("No benchmarks yet.");
        return 0;
    }
}
