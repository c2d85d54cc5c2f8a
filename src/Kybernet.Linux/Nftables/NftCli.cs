using Kybernet.Linux.Namespaces;
using Kybernet.Linux.Processes;

namespace Kybernet.Linux.Nftables;

/// <summary>
/// The real <see cref="INftables"/>: runs the nft tool inside one network namespace. A transaction is
/// one `nft -f -` process reading the script on stdin, which nft commits as a single kernel batch.
/// The process is spawned from the namespace thread (a child keeps its parent thread's namespace, so nft
/// only ever sees this namespace's ruleset) and waited for elsewhere, with a bound (<see cref="Timeout"/>).
/// </summary>
public sealed class NftCli : INftables
{
    /// <summary>Long enough for a ruleset of tens of thousands of rules; a hung nft is killed after it.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    private readonly string _nftPath;

    public NftCli(NetworkNamespace networkNamespace, string nftPath = "nft", TimeSpan? timeout = null)
    {
        Namespace = networkNamespace;
        _nftPath = nftPath;
        Timeout = timeout ?? DefaultTimeout;
    }

    public NetworkNamespace Namespace { get; }

    /// <summary>How long one nft run may take before it is killed and its operation fails.</summary>
    public TimeSpan Timeout { get; }

    public void Apply(NftTransaction transaction)
    {
        if (transaction.IsEmpty)
            return;
        var operation = $"apply nftables transaction ({transaction.Summary}) in {Namespace.Describe()}";
        var result = RunNft(operation, transaction.Render(), "-f", "-");
        if (result.ExitCode != 0)
            throw new NftablesException(operation, NftMessage(result));
    }

    public NftTableState? ListTable(NftFamily family, string name)
    {
        var json = List(family, name, "-j");
        return json is null ? null : NftJsonListing.Parse(json, family, name);
    }

    public string? ListTableText(NftFamily family, string name) => List(family, name);

    /// <summary>Every table in the namespace, as `nft list ruleset` prints it ("" when there are none).</summary>
    public string ListRulesetText()
    {
        var operation = $"list nftables ruleset in {Namespace.Describe()}";
        var result = RunNft(operation, null, "list", "ruleset");
        return result.ExitCode == 0 ? result.Stdout : throw new NftablesException(operation, NftMessage(result));
    }

    private string? List(NftFamily family, string name, params string[] options)
    {
        NftSyntax.Name(name, "table name");
        var operation = $"list nftables table {family.ToNft()} {name} in {Namespace.Describe()}";
        var result = RunNft(operation, null, [.. options, "list", "table", family.ToNft(), name]);
        if (result.ExitCode == 0)
            return result.Stdout;
        // nft has no exit code for "no such table"; it reports the kernel's ENOENT text.
        if (result.Stderr.Contains("No such file or directory", StringComparison.Ordinal))
            return null;
        throw new NftablesException(operation, NftMessage(result));
    }

    /// <summary>
    /// Runs nft with <paramref name="args"/>: spawned from the namespace thread (so it sees only this namespace's
    /// ruleset), waited for on the calling thread, so a large or hung transaction never blocks the namespace work
    /// of the rest of the process. At the timeout nft is killed and that is the operation's error.
    /// </summary>
    private ChildProcessResult RunNft(string operation, string? stdin, params string[] args)
    {
        ChildProcess nft;
        try
        {
            nft = ChildProcess.Start(new ChildProcessOptions(_nftPath, args)
            {
                Stdin = stdin is null ? ChildStdio.Null : ChildStdio.Input(stdin),
                // Its own group: a terminal's Ctrl-C does not cut a transaction off, and a timeout kills all of it.
                Grouping = ChildGrouping.OwnProcessGroup,
            }, inside: Namespace);
        }
        catch (LinuxException e)
        {
            throw new NftablesException(operation, $"could not start {_nftPath}: {e.Message}", e);
        }
        ChildProcessResult result;
        try
        {
            using (nft)
                result = nft.Wait(Timeout);
        }
        catch (LinuxException e)
        {
            // Waiting itself failed (poll, or an nft that would not die): still an nftables failure to the caller.
            throw new NftablesException(operation, $"waiting for {_nftPath} failed: {e.Message}", e);
        }
        return result.TimedOut
            ? throw new NftablesException(operation, $"nft gave no answer within {Timeout.TotalSeconds:0.###} s and was killed")
            : result;
    }

    private static string NftMessage(ChildProcessResult result)
    {
        var message = result.Stderr.Trim();
        return message.Length > 0 ? message : $"nft exited with code {result.ExitCode}";
    }
}
