using k8s;
using k8s.Models;
using Kybernet.Client.Informers;

namespace Kybernet.Client.Tests.Informers;

/// <summary>A handler that writes down what it is told ("add default/a 1", "update default/a 1->2", "delete default/b 3").</summary>
internal sealed class Recorder<T> where T : IKubernetesObject<V1ObjectMeta>
{
    private readonly Lock _lock = new();
    private readonly List<string> _events = [];

    public InformerHandler<T> Handler => new(
        obj => Record($"add {ObjectKey.Of(obj)} {obj.ResourceVersion()}"),
        (old, now) => Record($"update {ObjectKey.Of(now)} {old.ResourceVersion()}->{now.ResourceVersion()}"),
        obj => Record($"delete {ObjectKey.Of(obj)} {obj.ResourceVersion()}"));

    public IReadOnlyList<string> Events
    {
        get { lock (_lock) return [.. _events]; }
    }

    /// <summary>Waits (bounded) until <paramref name="count"/> events are recorded; returns them.</summary>
    public async Task<IReadOnlyList<string>> WaitFor(int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Events.Count < count && DateTime.UtcNow < deadline)
            await Task.Delay(5);
        return Events;
    }

    public void Clear()
    {
        lock (_lock) _events.Clear();
    }

    private void Record(string e)
    {
        lock (_lock) _events.Add(e);
    }
}
