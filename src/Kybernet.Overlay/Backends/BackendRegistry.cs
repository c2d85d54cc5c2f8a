using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Overlay.Backends;

/// <summary>Backends by type name, as the network config's Backend.Type names them (flannel's backend manager).</summary>
public sealed class BackendRegistry
{
    private readonly Dictionary<string, Func<ExternalInterface, ILogger, IBackend>> _factories = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];

    /// <summary>A registry with the built-in backends: vxlan (flannel's default), host-gw and udp.</summary>
    public static BackendRegistry CreateDefault() => new BackendRegistry()
        .Register(VxlanBackend.TypeName, (external, log) => new VxlanBackend(external, log))
        .Register(HostGwBackend.TypeName, (external, log) => new HostGwBackend(external, log))
        .Register(UdpBackend.TypeName, (external, log) => new UdpBackend(external, log));

    /// <summary>The registered type names, in the order they were registered (the default first).</summary>
    public IReadOnlyList<string> Names => _names;

    /// <summary>Registers a backend type; its factory gets the node's external interface and the logger its network reports repairs to.</summary>
    public BackendRegistry Register(string name, Func<ExternalInterface, ILogger, IBackend> factory)
    {
        if (!_factories.TryAdd(name, factory))
            throw new ArgumentException($"backend type \"{name}\" is registered already", nameof(name));
        _names.Add(name);
        return this;
    }

    public IBackend Create(string name, ExternalInterface external, ILogger? log = null) =>
        _factories.TryGetValue(name, out var factory)
            ? factory(external, log ?? NullLogger.Instance)
            : throw new BackendException($"unknown backend type \"{name}\" (known: {string.Join(", ", _names.Order(StringComparer.Ordinal))})");
}
