namespace Kybernet.Cni.Protocol;

/// <summary>The spec versions Kybernet's plugins speak, and what each allows.</summary>
public static class CniVersion
{
    public const string Current = "1.1.0";

    public static readonly IReadOnlyList<string> Supported = ["0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"];

    /// <summary>A config's cniVersion; "" (absent) is read as 0.1.0, which we do not speak.</summary>
    public static string Validate(string? version)
    {
        if (string.IsNullOrEmpty(version))
            throw new CniException(CniErrorCode.IncompatibleVersion,
                "incompatible CNI versions: config is \"\" (0.1.0), plugin supports " + string.Join(", ", Supported));
        if (!Supported.Contains(version))
            throw new CniException(CniErrorCode.IncompatibleVersion,
                $"incompatible CNI versions: config is \"{version}\", plugin supports [{string.Join(" ", Supported)}]");
        return version;
    }

    /// <summary>CHECK arrived with 0.4.0; STATUS and GC with 1.1.0.</summary>
    public static void RequireFor(string command, string version)
    {
        var minimum = command switch
        {
            "CHECK" => "0.4.0",
            "STATUS" or "GC" => "1.1.0",
            _ => null,
        };
        if (minimum is not null && Compare(version, minimum) < 0)
            throw new CniException(CniErrorCode.IncompatibleVersion,
                $"config version \"{version}\" does not allow {command} (needs {minimum} or later)");
    }

    /// <summary>Results before 1.0.0 carry "version" on each IP.</summary>
    public static bool IpsCarryVersion(string version) => Compare(version, "1.0.0") < 0;

    public static int Compare(string a, string b) => System.Version.Parse(a).CompareTo(System.Version.Parse(b));
}
