using Microsoft.Extensions.Logging;

namespace Kybernet.Agent;

/// <summary>
/// What the start-up sequence started, to stop in reverse order: each component is added as soon as it runs, so a
/// start-up that fails half-way stops exactly what it started, and a normal stop mirrors the sequence. A component that
/// fails to stop is logged and the others are still stopped.
/// </summary>
internal sealed class StopOrder(ILogger log) : IAsyncDisposable
{
    private readonly Stack<(string Name, object Component)> _started = new();

    /// <summary>Records <paramref name="component"/> (IAsyncDisposable or IDisposable) as started; returns it.</summary>
    public T Add<T>(string name, T component) where T : notnull
    {
        if (component is not (IAsyncDisposable or IDisposable))
            throw new ArgumentException($"{name} ({typeof(T).Name}) cannot be stopped: it is neither IAsyncDisposable nor IDisposable", nameof(component));
        _started.Push((name, component));
        return component;
    }

    public async ValueTask DisposeAsync()
    {
        while (_started.TryPop(out var entry))
        {
            try
            {
                if (entry.Component is IAsyncDisposable asyncDisposable)
                    await asyncDisposable.DisposeAsync();
                else
                    ((IDisposable)entry.Component).Dispose();
                log.LogDebug("stopped {Component}", entry.Name);
            }
            catch (Exception e)
            {
                log.LogError(e, "stopping {Component} failed: {Error}", entry.Name, e.Message);
            }
        }
    }
}
