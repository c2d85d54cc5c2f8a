namespace Kybernet.Agnhost;

/// <summary>agnhost SUBCOMMAND [FLAGS]: dispatches to one of the test servers and tools.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        Console.Error.WriteLine($"agnhost: unknown subcommand \"{args.FirstOrDefault()}\"");
        return 2;
    }
}
