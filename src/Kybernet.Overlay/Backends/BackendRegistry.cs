namespace Kybernet.Overlay.Backends;

/// <summary>Backends by type name, as the network config's Backend.Type names them (flannel's backend manager).</summary>
public sealed class BackendRegistry
{
    private readonly Dictionary<string, Func<ExternalInterface, IBackend>> _factories = new(StringComparer.Ordinal);
    private readonly List<string> _names = [];

    /// <summary>A registry with the built-in backends: vxlan (flannel's default), host-gw and udp.</summary>
    public static BackendRegistry CreateDefault() => new BackendRegistry()
        .Register(VxlanBackend.TypeName, external => new VxlanBackend(external))
        .Register(HostGwBackend.TypeName, external => new HostGwBackend(external))
        .Register(UdpBackend.TypeName, external => new UdpBackend(external));

    /// <summary>The registered type names, in the order they were registered (the default first).</summary>
    public IReadOnlyList<string> Names => _names;

    public BackendRegistry Register(string name, Func<ExternalInterface, IBackend> factory)
    {
        if (!_factories.TryAdd(name, factory))
            throw new ArgumentException($"backend type \"{name}\" is registered already", nameof(name));
        _names.Add(name);
        return this;
    }

    public IBackend Create(string name, ExternalInterface external) =>
        _factories.TryGetValue(name, out var factory)
            ? factory(external)
            : throw new BackendException($"unknown backend type \"{name}\" (known: {string.Join(", ", _names.Order(StringComparer.Ordinal))})");
}
