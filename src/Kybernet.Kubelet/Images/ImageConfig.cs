namespace Kybernet.Kubelet.Images;

/// <summary>
/// The runtime defaults an image carries (the OCI image config's "config" object): what a container runs when its pod
/// gives no command or args (Entrypoint and Cmd, as Docker defines them), its environment, working directory and ports.
/// </summary>
public sealed record ImageConfig
{
    public IReadOnlyList<string> Entrypoint { get; init; } = [];
    public IReadOnlyList<string> Cmd { get; init; } = [];
    public IReadOnlyList<string> Env { get; init; } = [DefaultPath];
    public string WorkingDir { get; init; } = "";

    /// <summary>"PORT/PROTOCOL", e.g. "8080/tcp".</summary>
    public IReadOnlyList<string> ExposedPorts { get; init; } = [];

    /// <summary>Docker's default PATH, which images set themselves (the runtime adds none).</summary>
    public const string DefaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
}
