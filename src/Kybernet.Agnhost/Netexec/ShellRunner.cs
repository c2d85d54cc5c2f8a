using System.Diagnostics;

namespace Kybernet.Agnhost.Netexec;

/// <summary>
/// /shell: runs a command with /bin/sh -c and collects stdout and stderr together (in arrival order, as Go's
/// CombinedOutput), with the error worded as Go's exec package words it ("exit status 1").
/// </summary>
public static class ShellRunner
{
    public const string Shell = "/bin/sh";

    public static async Task<(string Output, string? Error)> RunAsync(string command)
    {
        var start = new ProcessStartInfo(Shell)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("-c");
        // One pipe for both streams, as Go's CombinedOutput: read from two pipes, their order would be a race.
        start.ArgumentList.Add("exec 2>&1\n" + command);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"{Shell} did not start");
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return ("", $"fork/exec {Shell}: {e.Message}");
        }
        using (process)
        {
            var combined = new MemoryStream();
            await Task.WhenAll(
                CopyAsync(process.StandardOutput.BaseStream, combined),
                CopyAsync(process.StandardError.BaseStream, combined));
            await process.WaitForExitAsync();
            var output = System.Text.Encoding.UTF8.GetString(combined.ToArray());
            int code = process.ExitCode;
            string? error = code == 0 ? null
                : code > 128 && code < 160 ? $"signal: {SignalName(code - 128)}"
                : $"exit status {code}";
            return (output, error);
        }
    }

    private static async Task CopyAsync(Stream from, MemoryStream into)
    {
        var buffer = new byte[4096];
        int n;
        while ((n = await from.ReadAsync(buffer)) > 0)
        {
            lock (into)
                into.Write(buffer, 0, n);
        }
    }

    private static string SignalName(int signal) => signal switch
    {
        1 => "hangup",
        2 => "interrupt",
        9 => "killed",
        13 => "broken pipe",
        15 => "terminated",
        _ => $"signal {signal}",
    };
}
