using System.CommandLine;
using Kybernet.Cli.Logging;
using Kybernet.Kubelet.Images;
using Kybernet.Lab;
using Microsoft.Extensions.Logging;

namespace Kybernet.Cli.Commands;

/// <summary>`kybernet image build` (the built-in images as OCI archives) and `kybernet image import FILE.tar --address`.</summary>
internal static class ImageCommand
{
    public static Command Create()
    {
        var image = new Command("image", "The images Kybernet builds from local files (pause, busybox, agnhost), and loading archives into containerd");
        image.Subcommands.Add(Build());
        image.Subcommands.Add(Import());
        return image;
    }

    private static Command Build()
    {
        var output = new Option<string?>("--output") { Description = "Copy the archives into DIR (default: print where they are cached)" };
        var cache = new Option<string>("--cache")
        {
            Description = "Where built archives are kept, keyed by the digest of their inputs (a second build with the same inputs is instant)",
            DefaultValueFactory = _ => DefaultCache(),
        };
        var native = new Option<string>("--native") { Description = "The NativeAOT multi-call binary that becomes /pause", DefaultValueFactory = _ => ImageInputs.BesideProgram().NativeBinary };
        var agnhost = new Option<string>("--agnhost") { Description = "The NativeAOT agnhost binary", DefaultValueFactory = _ => ImageInputs.BesideProgram().AgnhostBinary };
        var busybox = new Option<string>("--busybox") { Description = "A static busybox", DefaultValueFactory = _ => ImageInputs.DebianBusybox };
        var command = new Command("build", $"Write the archives of {BuiltInImages.Pause}, {BuiltInImages.Busybox} (and :latest), {BuiltInImages.Agnhost} (and :latest)")
        {
            output, cache, native, agnhost, busybox,
        };
        command.SetAction(parsed => CommandErrors.Run(() =>
        {
            using var loggers = LogOptions.CreateFactory(LogLevel.Warning, Console.Error);
            var log = loggers.CreateLogger("image");
            var builder = new ImageBuilder(parsed.GetValue(cache)!, log);
            var inputs = new ImageInputs(parsed.GetValue(native)!, parsed.GetValue(agnhost)!, parsed.GetValue(busybox)!);
            int failures = 0;
            // Each image on its own: a missing agnhost build does not keep pause and busybox from being written.
            foreach (var definition in BuiltInImages.All)
            {
                try
                {
                    var archive = builder.Build(definition(inputs), parsed.GetValue(output));
                    Console.WriteLine($"{archive.Path}\t{archive.ManifestDigest}\t{archive.Size}\t{string.Join(',', archive.Names)}");
                }
                catch (Exception e) when (e is IOException or ArgumentException)
                {
                    log.LogError("image build failed: {Message}", e.Message);
                    failures++;
                }
            }
            return failures == 0 ? 0 : 1;
        }));
        return command;
    }

    private static Command Import()
    {
        var file = new Argument<string>("file") { Description = "An OCI image layout or docker archive (docker save, skopeo, kybernet image build)" };
        var address = new Option<string?>("--address") { Description = "The containerd's socket, unix:///PATH" };
        var node = new Option<string?>("--node") { Description = "A kube-mode lab node: its containerd" };
        var all = new Option<bool>("--all") { Description = "Every node of a kube-mode lab" };
        var lab = new Option<string>("--lab") { Description = "The lab of --node and --all", DefaultValueFactory = _ => "lab" };
        var dataDir = new Option<string?>("--data-dir") { Description = "The lab's state directory (default /var/lib/kybernet/labs/LAB)" };
        var command = new Command("import", "Load an image archive into a containerd (namespace k8s.io, where its CRI plugin finds images): " +
            "one given by --address, or a lab node's (--node N), or every lab node's (--all)")
        {
            file, address, node, all, lab, dataDir,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            // The importer's own error entry would repeat the one line printed below.
            using var loggers = LogOptions.CreateFactory(LogLevel.None, Console.Error);
            try
            {
                var targets = Targets(parsed.GetValue(address), parsed.GetValue(node), parsed.GetValue(all), parsed.GetValue(lab)!, parsed.GetValue(dataDir));
                var importer = new ImageImporter(loggers.CreateLogger("image"));
                foreach (var (name, endpoint) in targets)
                {
                    await importer.ImportAsync(endpoint, parsed.GetValue(file)!, cancellationToken);
                    if (name is not null)
                        Console.WriteLine($"imported into {name}");
                }
                return 0;
            }
            catch (Exception e) when (e is ImageImportException or IOException or LabException)
            {
                Console.Error.WriteLine($"kybernet: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    /// <summary>The containerd endpoints to import into, each with its lab node's name (null for --address).</summary>
    private static IReadOnlyList<(string? Node, string Endpoint)> Targets(string? address, string? node, bool all, string labName, string? dataDir)
    {
        if ((address is not null ? 1 : 0) + (node is not null ? 1 : 0) + (all ? 1 : 0) != 1)
            throw new LabException("give exactly one of --address unix:///PATH, --node NODE or --all");
        if (address is not null)
            return [(null, address)];
        LabTopology.ValidateName(labName, existing: true);
        var cluster = new LabCluster(new LabStateStore(dataDir ?? LabStateStore.DefaultDirectory(labName)));
        var topology = cluster.Require(labName);
        if (topology.SubnetManager != "kube")
            throw new LabException($"lab {labName} runs no containerd: bring it up with --subnet-manager kube");
        var nodes = topology.Agents.Select(a => a.Node).ToList();
        if (node is not null && !nodes.Contains(node))
            throw new LabException($"lab {labName} has no node {node} (it has {string.Join(", ", nodes)})");
        return [.. nodes.Where(n => all || n == node).Select(n => ((string?)n, cluster.Containerd.Endpoint(topology, n)))];
    }

    /// <summary>.build/images beside .build/kybernet, where ./kybernet runs the program from; else beside the program.</summary>
    private static string DefaultCache() => Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "images"));
}
