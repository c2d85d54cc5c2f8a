using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Kybernet.Linux.Namespaces;

namespace Kybernet.Linux.Nftables;

/// <summary>
/// The real <see cref="INftables"/>: runs the nft tool inside one network namespace. A transaction is
/// one `nft -f -` process reading the script on stdin, which nft commits as a single kernel batch.
/// The process is started from a thread inside the namespace: a forked child keeps its parent
/// thread's namespace, so nft only ever sees this namespace's ruleset.
/// </summary>
public sealed class NftCli : INftables
{
    private readonly string _nftPath;

    public NftCli(NetworkNamespace networkNamespace, string nftPath = "nft")
    {
        Namespace = networkNamespace;
        _nftPath = nftPath;
    }

    public NetworkNamespace Namespace { get; }

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

    private (int ExitCode, string Stdout, string Stderr) RunNft(string operation, string? stdin, params string[] args) => Namespace.Run(() =>
    {
        var start = new ProcessStartInfo(_nftPath)
        {
            RedirectStandardInput = stdin is not null,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (stdin is not null)
            start.StandardInputEncoding = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new NftablesException(operation, $"could not start {_nftPath}");
        }
        catch (Win32Exception e)
        {
            throw new NftablesException(operation, $"could not start {_nftPath}: {e.Message}", e);
        }

        using (process)
        {
            // Drain both pipes while writing, so neither side blocks on a full pipe.
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (stdin is not null)
            {
                try
                {
                    process.StandardInput.Write(stdin);
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // nft quit before reading everything; its stderr says why.
                }
            }
            process.WaitForExit();
            return (process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
        }
    });

    private static string NftMessage((int ExitCode, string Stdout, string Stderr) result)
    {
        var message = result.Stderr.Trim();
        return message.Length > 0 ? message : $"nft exited with code {result.ExitCode}";
    }
}
