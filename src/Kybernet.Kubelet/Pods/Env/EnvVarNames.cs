using System.Text.RegularExpressions;

namespace Kybernet.Kubelet.Pods.Env;

/// <summary>Which keys may become environment variable names (upstream's IsEnvVarName: C_IDENTIFIER plus '-' and '.').</summary>
public static partial class EnvVarNames
{
    public static bool IsValid(string name) => ValidName().IsMatch(name);

    /// <summary>The variable-name form of a Service's name: upper case, '-' as '_' (envvars.go).</summary>
    public static string FromServiceName(string serviceName) => serviceName.ToUpperInvariant().Replace('-', '_');

    [GeneratedRegex("^[-._a-zA-Z][-._a-zA-Z0-9]*$")]
    private static partial Regex ValidName();
}
