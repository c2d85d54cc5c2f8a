using System.Diagnostics;

namespace Kybernet.ApiServer.Tests;

public sealed record KubectlResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

/// <summary>Runs the machine's real kubectl (/usr/bin/kubectl, v1.32) against the test server.</summary>
public sealed class Kubectl(string kubeconfig, string home)
{
    public const string Path = "/usr/bin/kubectl";

    public KubectlResult Run(params string[] args) => RunWith(null, args);

    /// <summary>kubectl ARGS with <paramref name="stdin"/> (for -f -); bounded to a minute.</summary>
    public KubectlResult RunWith(string? stdin, params string[] args)
    {
        Directory.CreateDirectory(home);
        var psi = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["KUBECONFIG"] = kubeconfig;
        psi.Environment["HOME"] = home;
        using var p = Process.Start(psi)!;
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"kubectl {string.Join(' ', args)} did not finish in a minute");
        }
        return new KubectlResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs kubectl and fails the test with its output unless it succeeded.</summary>
    public string Ok(params string[] args) => OkWith(null, args);

    public string OkWith(string? stdin, params string[] args)
    {
        var result = RunWith(stdin, args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)}: {result}");
        return result.Stdout;
    }

    /// <summary>Starts a long-running kubectl (get -w) whose output the test reads as it comes.</summary>
    public Process Start(params string[] args)
    {
        Directory.CreateDirectory(home);
        var psi = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["KUBECONFIG"] = kubeconfig;
        psi.Environment["HOME"] = home;
        return Process.Start(psi)!;
    }
}
