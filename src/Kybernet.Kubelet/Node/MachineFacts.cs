using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Node;

/// <summary>
/// What the node reports about its machine (upstream's kubelet gets these from cAdvisor): online CPUs, MemTotal,
/// the size of the filesystem under the kubelet's root directory, and the identity of the kernel, OS and machine.
/// Unreadable identity files give empty strings, as upstream reports them.
/// </summary>
public sealed record MachineFacts
{
    public required int Cores { get; init; }
    public required long MemoryBytes { get; init; }
    public required long EphemeralStorageBytes { get; init; }
    public required string KernelVersion { get; init; }
    public required string OsImage { get; init; }
    public required string Architecture { get; init; }
    public string MachineId { get; init; } = "";
    public string BootId { get; init; } = "";
    public string SystemUuid { get; init; } = "";

    /// <summary>Reads this machine; <paramref name="rootDirectory"/> is created if missing (its filesystem is the node's ephemeral storage).</summary>
    public static MachineFacts Read(string rootDirectory, ILogger logger)
    {
        string ReadOrEmpty(string path) => ReadOptional(path, logger);
        Directory.CreateDirectory(rootDirectory);
        return new MachineFacts
        {
            Cores = ParseCpuList(ReadOrEmpty("/sys/devices/system/cpu/online")) is > 0 and var online ? online : Environment.ProcessorCount,
            MemoryBytes = ParseMemTotalBytes(File.ReadAllText("/proc/meminfo"))
                ?? throw new InvalidOperationException("/proc/meminfo has no MemTotal line"),
            EphemeralStorageBytes = new DriveInfo(rootDirectory).TotalSize,
            KernelVersion = ReadOrEmpty("/proc/sys/kernel/osrelease"),
            OsImage = ParsePrettyName(ReadOrEmpty("/etc/os-release")) ?? "Linux",
            Architecture = ArchitectureName(RuntimeInformation.OSArchitecture),
            MachineId = ReadOrEmpty("/etc/machine-id"),
            BootId = ReadOrEmpty("/proc/sys/kernel/random/boot_id"),
            // Readable by root only; upstream leaves it empty too when it cannot read it.
            SystemUuid = ReadOrEmpty("/sys/class/dmi/id/product_uuid"),
        };
    }

    /// <summary>Go's GOARCH names, which Kubernetes uses in labels and nodeInfo.</summary>
    public static string ArchitectureName(Architecture architecture) => architecture switch
    {
        System.Runtime.InteropServices.Architecture.X64 => "amd64",
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        System.Runtime.InteropServices.Architecture.X86 => "386",
        System.Runtime.InteropServices.Architecture.Arm => "arm",
        System.Runtime.InteropServices.Architecture.S390x => "s390x",
        System.Runtime.InteropServices.Architecture.Ppc64le => "ppc64le",
        System.Runtime.InteropServices.Architecture.RiscV64 => "riscv64",
        _ => architecture.ToString().ToLowerInvariant(),
    };

    /// <summary>"MemTotal:       16331152 kB" to bytes; null without that line.</summary>
    public static long? ParseMemTotalBytes(string meminfo)
    {
        foreach (var line in meminfo.Split('\n'))
        {
            if (!line.StartsWith("MemTotal:", StringComparison.Ordinal))
                continue;
            var parts = line["MemTotal:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 1 && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var kib))
                return kib * 1024; // the kernel's "kB" are KiB
        }
        return null;
    }

    /// <summary>PRETTY_NAME from os-release text ("Debian GNU/Linux 13 (trixie)"), unquoted; null without it.</summary>
    public static string? ParsePrettyName(string osRelease)
    {
        foreach (var raw in osRelease.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))
                return line["PRETTY_NAME=".Length..].Trim().Trim('"', '\'') is { Length: > 0 } name ? name : null;
        }
        return null;
    }

    /// <summary>The count of CPUs in a kernel CPU list ("0-3,6,8-9" is 7); 0 if it is empty or malformed.</summary>
    public static int ParseCpuList(string list)
    {
        var count = 0;
        foreach (var item in list.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var dash = item.IndexOf('-');
            if (dash < 0)
            {
                if (!int.TryParse(item, NumberStyles.None, CultureInfo.InvariantCulture, out _))
                    return 0;
                count++;
            }
            else if (int.TryParse(item[..dash], NumberStyles.None, CultureInfo.InvariantCulture, out var first)
                && int.TryParse(item[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var last) && last >= first)
                count += last - first + 1;
            else
                return 0;
        }
        return count;
    }

    private static string ReadOptional(string path, ILogger logger)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            logger.LogInformation("node facts: cannot read {Path} ({Error}); reporting it empty", path, e.Message);
            return "";
        }
    }
}
