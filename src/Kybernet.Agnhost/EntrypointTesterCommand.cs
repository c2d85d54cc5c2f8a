namespace Kybernet.Agnhost;

/// <summary>
/// agnhost entrypoint-tester: prints the whole argv as Go prints a string slice ("[/agnhost entrypoint-tester a b]")
/// and exits 0, so tests can check how a pod's command and args overrode the image's. Read from /proc so argv[0] is
/// exactly what the runtime exec'd (under the dotnet host, the host itself is left out).
/// </summary>
public static class EntrypointTesterCommand
{
    public static int Run()
    {
        var argv = File.ReadAllText("/proc/self/cmdline").TrimEnd('\0').Split('\0');
        if (Environment.ProcessPath is { } host && Path.GetFileName(host) == "dotnet" && argv.Length > 1)
            argv = argv[1..];
        Console.Out.WriteLine($"[{string.Join(' ', argv)}]");
        return 0;
    }
}
