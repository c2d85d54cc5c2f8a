using System.Text;
using System.Text.Json;
using Kybernet.Cni;
using Kybernet.Overlay.Subnets;
using Microsoft.Extensions.Logging;

namespace Kybernet.Kubelet.Node;

/// <summary>
/// Writes the node's CNI conflist for containerd once the overlay knows the node's pod subnet (its subnet.env): network
/// "kybernet", kybernet-bridge on cni0 with the overlay's MTU and host-local on the subnet (routes to the cluster
/// network), then portmap. containerd reads the directory whenever it changes, so the file is replaced atomically
/// (temp file, fsync, rename) and only when its content differs: an unchanged rewrite would still wake containerd.
/// </summary>
public sealed class CniConfigWriter(string configDirectory, string ipamDataDirectory, ILogger logger, string fileName = CniConfigWriter.DefaultFileName)
{
    /// <summary>containerd loads the first conflist by name; "10-" puts it before anything a user adds later.</summary>
    public const string DefaultFileName = "10-kybernet.conflist";
    public const string NetworkName = "kybernet";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public string ConfigPath => Path.Combine(configDirectory, fileName);

    /// <summary>The conflist's text for a subnet.env.</summary>
    public string Render(SubnetEnv env) =>
        DefaultConflist.Build(env.Subnet.ToString(), NetworkName, "cni0", env.Mtu, ipMasq: false, ipamDataDirectory, env.Network.ToString())
            .ToJsonString(Indented) + "\n";

    /// <summary>Writes the conflist for <paramref name="env"/> unless the file already says the same; returns whether it wrote.</summary>
    public bool Write(SubnetEnv env)
    {
        var text = Render(env);
        if (File.Exists(ConfigPath) && File.ReadAllText(ConfigPath) == text)
            return false;
        Directory.CreateDirectory(configDirectory);
        var temp = Path.Combine(configDirectory, $".{fileName}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                file.Write(Encoding.UTF8.GetBytes(text));
                file.Flush(flushToDisk: true);
            }
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            File.Move(temp, ConfigPath, overwrite: true);
        }
        catch (Exception e)
        {
            logger.LogError("write CNI config {Path}: {Error}", ConfigPath, e.Message);
            File.Delete(temp);
            throw;
        }
        logger.LogInformation("wrote CNI config {Path} for subnet {Subnet} of {Network}, MTU {Mtu}", ConfigPath, env.Subnet, env.Network, env.Mtu);
        return true;
    }

    /// <summary>
    /// Reads <paramref name="subnetEnvPath"/> and writes the conflist from it; returns the subnet.env, or null while the
    /// overlay has not written one (or has written a partial one, which the next poll reads again).
    /// </summary>
    public SubnetEnv? WriteFrom(string subnetEnvPath)
    {
        if (SubnetEnvReader.Read(subnetEnvPath) is not { } env)
            return null;
        Write(env);
        return env;
    }

    /// <summary>
    /// Polls <paramref name="subnetEnvPath"/> every <paramref name="interval"/> and keeps the conflist in step with it;
    /// <paramref name="onSubnet"/> hears each new subnet.env (the node's NetworkUnavailable condition follows it).
    /// </summary>
    public async Task RunAsync(string subnetEnvPath, TimeSpan interval, Action<SubnetEnv> onSubnet, CancellationToken cancellationToken, TimeProvider? time = null)
    {
        SubnetEnv? last = null;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (WriteFrom(subnetEnvPath) is { } env && env != last)
                {
                    last = env;
                    onSubnet(env);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning("CNI config from {SubnetEnv}: {Error}; trying again in {Interval}", subnetEnvPath, e.Message, interval);
            }
            try
            {
                await Task.Delay(interval, time ?? TimeProvider.System, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }
}
