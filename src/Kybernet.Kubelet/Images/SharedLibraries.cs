using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Kybernet.Kubelet.Images;

/// <summary>
/// The shared libraries a dynamically linked program loads (its ELF interpreter, ld-linux, and every DT_NEEDED library,
/// transitively), as this machine resolves them: what an image must carry next to a glibc program. Asks ldd(1), the
/// loader's own answer, once per program.
/// </summary>
public static partial class SharedLibraries
{
    /// <summary>The libraries as (path the loader looks for, real file on this machine): ld-linux at its PT_INTERP path.</summary>
    public static IReadOnlyList<(string ImagePath, string SourceFile)> Of(string program)
    {
        var start = new ProcessStartInfo("ldd", [program]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var ldd = Process.Start(start) ?? throw new IOException($"cannot run ldd {program}");
        var stdoutTask = ldd.StandardOutput.ReadToEndAsync();
        var stderr = ldd.StandardError.ReadToEnd();
        var stdout = stdoutTask.GetAwaiter().GetResult();
        ldd.WaitForExit();
        // A static program ("not a dynamic executable", exit 1) needs nothing.
        if (ldd.ExitCode != 0)
            return stdout.Contains("not a dynamic executable") || stderr.Contains("not a dynamic executable")
                ? []
                : throw new IOException($"ldd {program} failed (exit {ldd.ExitCode}): {stderr.Trim()}");
        return Parse(stdout)
            .Select(path => (path, ResolveLinks(path)))
            .ToList();
    }

    /// <summary>
    /// The absolute paths in ldd's output: "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and the interpreter's
    /// "/lib64/ld-linux-x86-64.so.2 (0x...)"; the vDSO has no file. A library ldd cannot find is an error.
    /// </summary>
    public static IReadOnlyList<string> Parse(string lddOutput)
    {
        var paths = new List<string>();
        foreach (var line in lddOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (line.Contains("=> not found"))
                throw new IOException($"ldd: a library is missing: {line}");
            var match = LibraryLine().Match(line);
            if (match.Success)
                paths.Add(match.Groups["path"].Value);
        }
        return paths.Distinct().Order(StringComparer.Ordinal).ToList();
    }

    private static string ResolveLinks(string path) =>
        File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? Path.GetFullPath(path);

    [GeneratedRegex(@"^(?:\S+\s+=>\s+)?(?<path>/\S+)\s+\(0x[0-9a-f]+\)$")]
    private static partial Regex LibraryLine();
}
