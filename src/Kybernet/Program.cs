using System.CommandLine;
using Kybernet.Cli.Commands;

namespace Kybernet.Cli;

public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Kybernet: a Kubernetes-style cluster whose network is built on Linux itself.")
        {
            LabCommand.Create(),
            CniCommand.Create(),
            ServerCommand.Create(),
        };
        return root.Parse(args).Invoke();
    }
}
