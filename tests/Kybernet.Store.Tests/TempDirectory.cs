namespace Kybernet.Store.Tests;

/// <summary>A directory of its own for one test, removed with everything in it when disposed.</summary>
public sealed class TempDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateDirectory(
        System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"kyt-store-{Guid.NewGuid():N}")).FullName;

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
