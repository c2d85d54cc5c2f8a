using k8s;
using k8s.Models;

namespace Kybernet.Client.Informers;

/// <summary>
/// An informer's local copy of one resource: every object by key (<see cref="ObjectKey"/>), plus secondary indexes (by
/// namespace always; others such as pods by spec.nodeName when registered), kept current by the informer alone. Readers
/// on any thread get consistent answers. Objects are shared, not copied: treat them as read-only (client-go's rule),
/// and copy before changing one to write it back.
/// </summary>
public sealed class InformerCache<T> where T : IKubernetesObject<V1ObjectMeta>
{
    /// <summary>The index every cache has: objects by namespace ("" for cluster-scoped ones).</summary>
    public const string NamespaceIndex = "namespace";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, T> _items = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Func<T, IEnumerable<string>>> _indexers = new(StringComparer.Ordinal)
    {
        [NamespaceIndex] = obj => [obj.Metadata?.NamespaceProperty ?? ""],
    };
    // index name -> index value -> keys of the objects with that value
    private readonly Dictionary<string, Dictionary<string, HashSet<string>>> _indexes = new(StringComparer.Ordinal)
    {
        [NamespaceIndex] = new(StringComparer.Ordinal),
    };

    public int Count
    {
        get { lock (_lock) return _items.Count; }
    }

    public T? Get(string key)
    {
        lock (_lock)
            return _items.GetValueOrDefault(key);
    }

    public T? Get(string? ns, string name) => Get(ObjectKey.For(ns, name));

    /// <summary>Every object, in no particular order.</summary>
    public IReadOnlyList<T> List()
    {
        lock (_lock)
            return [.. _items.Values];
    }

    public IReadOnlyList<string> Keys()
    {
        lock (_lock)
            return [.. _items.Keys];
    }

    /// <summary>The objects whose <paramref name="index"/> function gave <paramref name="value"/> (e.g. pods on one node).</summary>
    public IReadOnlyList<T> ByIndex(string index, string value)
    {
        lock (_lock)
        {
            if (!_indexes.TryGetValue(index, out var values))
                throw new ArgumentException($"the cache has no index \"{index}\" (known: {string.Join(", ", _indexes.Keys)})", nameof(index));
            return values.TryGetValue(value, out var keys) ? [.. keys.Select(k => _items[k])] : [];
        }
    }

    /// <summary>Registers an index; objects already cached are indexed at once.</summary>
    public void AddIndexer(string name, Func<T, IEnumerable<string>> index)
    {
        lock (_lock)
        {
            if (!_indexers.TryAdd(name, index))
                throw new ArgumentException($"the cache has an index \"{name}\" already", nameof(name));
            _indexes[name] = new(StringComparer.Ordinal);
            foreach (var (key, obj) in _items)
                AddToIndex(name, key, obj);
        }
    }

    /// <summary>Stores or replaces the object; returns what was there before (null if nothing).</summary>
    internal T? Put(T obj)
    {
        var key = ObjectKey.Of(obj);
        lock (_lock)
        {
            var old = _items.GetValueOrDefault(key);
            if (old is not null)
                Unindex(key, old);
            _items[key] = obj;
            foreach (var name in _indexers.Keys)
                AddToIndex(name, key, obj);
            return old;
        }
    }

    /// <summary>Removes the object under <paramref name="key"/>; returns it (null if it was not there).</summary>
    internal T? Remove(string key)
    {
        lock (_lock)
        {
            if (!_items.Remove(key, out var old))
                return default;
            Unindex(key, old);
            return old;
        }
    }

    private void AddToIndex(string name, string key, T obj)
    {
        foreach (var value in _indexers[name](obj))
        {
            var values = _indexes[name];
            if (!values.TryGetValue(value, out var keys))
                values[value] = keys = new HashSet<string>(StringComparer.Ordinal);
            keys.Add(key);
        }
    }

    private void Unindex(string key, T obj)
    {
        foreach (var (name, indexer) in _indexers)
        {
            foreach (var value in indexer(obj))
            {
                var values = _indexes[name];
                if (values.TryGetValue(value, out var keys) && keys.Remove(key) && keys.Count == 0)
                    values.Remove(value);
            }
        }
    }
}
