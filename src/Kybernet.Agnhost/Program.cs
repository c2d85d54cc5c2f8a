using Kybernet.Agnhost.Netexec;

namespace Kybernet.Agnhost;

/// <summary>agnhost SUBCOMMAND [FLAGS]: dispatches to one of the test servers and tools.</summary>
public static class Program
{
    public const string Usage = """
        agnhost: a test server and tools for Kubernetes-style tests, with upstream agnhost's subcommands.

        Usage:
          agnhost [command] [flags]

        Available Commands:
          connect          HOST:PORT [--timeout D] [--protocol tcp|udp|sctp] [--udp-data TEXT]: attempts a connection; on error prints UNKNOWN, TIMEOUT, DNS, REFUSED or OTHER
          dns-server-list  prints the nameservers of /etc/resolv.conf
          dns-suffix       prints the search domains of /etc/resolv.conf
          entrypoint-tester  prints its whole command line ("[/agnhost entrypoint-tester ARGS...]") and exits
          etc-hosts        prints /etc/hosts
          liveness         HTTP on 8080: /healthz answers 200 for 10 s, then 500; /started; /redirect?loc=
          netexec          [--http-port 8080] [--udp-port 8081] [--delay-shutdown S] [--http-override PATH] [--udp-listen-addresses IPS]: HTTP and UDP test server
          pause            waits for SIGINT (exit 1) or SIGTERM (exit 2)
          porter           serves $SERVE_PORT_N's value over HTTP on port N [--json-response]
          serve-hostname   [--port 9376] [--http] [--tcp] [--udp] [--close]: answers the hostname
        """;

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            Console.Out.WriteLine(Usage);
            return 0;
        }
        var command = args[0];
        var rest = args.Skip(1).ToList();
        try
        {
            return command switch
            {
                "netexec" => await WithFlags(rest, NetexecOptions.FlagNames, [], NetexecCommand.RunAsync),
                "serve-hostname" => await WithFlags(rest, ServeHostnameCommand.FlagNames, ServeHostnameCommand.BoolFlagNames, ServeHostnameCommand.RunAsync),
                "porter" => await WithFlags(rest, [], PorterCommand.BoolFlagNames, PorterCommand.RunAsync),
                "connect" => await WithFlags(rest, ConnectCommand.FlagNames, [], ConnectCommand.RunAsync),
                "entrypoint-tester" => EntrypointTesterCommand.Run(), // every argument is printed, none parsed as a flag
                "liveness" => await WithFlags(rest, [], [], _ => LivenessCommand.RunAsync()),
                "pause" => await WithFlags(rest, [], [], _ => PauseCommand.RunAsync()),
                "dns-suffix" => await WithFlags(rest, [], [], _ => Task.FromResult(DnsCommands.Suffixes())),
                "dns-server-list" => await WithFlags(rest, [], [], _ => Task.FromResult(DnsCommands.Servers())),
                "etc-hosts" => await WithFlags(rest, [], [], _ => Task.FromResult(DnsCommands.Hosts())),
                _ => UnknownCommand(command),
            };
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"Error: {e.Message}");
            return 1;
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"agnhost {command}: {e.Message}");
            return 2;
        }
    }

    private static async Task<int> WithFlags(IReadOnlyList<string> args, string[] valued, string[] booleans, Func<Flags, Task<int>> run)
    {
        var flags = Flags.Parse(args, valued, booleans);
        if (flags.HelpRequested)
        {
            Console.Out.WriteLine(Usage);
            return 0;
        }
        return await run(flags);
    }

    private static int UnknownCommand(string command)
    {
        Console.Error.WriteLine($"Error: unknown command \"{command}\" for \"agnhost\"");
        Console.Error.WriteLine(Usage);
        return 1;
    }
}
