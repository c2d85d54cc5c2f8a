using System.CommandLine;
using Kybernet.Cli.Commands;

namespace Kybernet.Cli;

public static class Program
{
    public static Task<int> Main(string[] args)
    {
        var root = new RootCommand("Kybernet: a Kubernetes-style cluster whose network is built on Linux itself.")
        {
            LabCommand.Create(),
            CniCommand.Create(),
            ServerCommand.Create(),
            AgentCommand.Create(),
            NetCommand.Create(),
            KubeconfigCommand.Create(),
            ImageCommand.Create(),
        };
        // Async, so SIGINT and SIGTERM cancel a long-running action (kybernet server) and it shuts down cleanly.
        return root.Parse(args).InvokeAsync();
    }
}
