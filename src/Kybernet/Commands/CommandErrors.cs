using Kybernet.Cni.Protocol;
using Kybernet.Lab;
using Kybernet.Linux;

namespace Kybernet.Cli.Commands;

/// <summary>Turns expected failures into one clear line on stderr and exit code 1, instead of a stack trace.</summary>
internal static class CommandErrors
{
    public static int Run(Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is LabException or LinuxException or CniException or ArgumentException or UnauthorizedAccessException or IOException)
        {
            Console.Error.WriteLine($"kybernet: {e.Message}");
            return 1;
        }
    }

    /// <summary>Namespaces, links and mounts need CAP_SYS_ADMIN and CAP_NET_ADMIN: say so up front.</summary>
    public static void RequireRoot()
    {
        if (Environment.UserName != "root" && !Environment.IsPrivilegedProcess)
            throw new UnauthorizedAccessException("this command creates network namespaces and links: run it as root");
    }
}
