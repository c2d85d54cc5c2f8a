using System.Text;
using Kybernet.Kubelet.Pods.Volumes;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kybernet.Kubelet.Tests.Pods.Volumes;

public sealed class AtomicWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kyt-podspec-writer-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Dictionary<string, FileProjection> Files(params (string Path, string Text, int Mode)[] files) =>
        files.ToDictionary(f => f.Path, f => new FileProjection(Encoding.UTF8.GetBytes(f.Text), f.Mode));

    [Fact]
    public void Files_are_seen_through_symlinks_into_a_timestamped_dir_behind_data()
    {
        var writer = new AtomicWriter(_dir, NullLogger.Instance);
        Assert.True(writer.Write(Files(("a.txt", "one", 0x1a4), ("conf/b.txt", "two", 0x180))));

        string data = new FileInfo(Path.Combine(_dir, "..data")).LinkTarget!;
        Assert.Matches(@"^\.\.\d{4}_\d\d_\d\d_\d\d_\d\d_\d\d\.\d{9}$", data);
        Assert.Equal("..data/a.txt", new FileInfo(Path.Combine(_dir, "a.txt")).LinkTarget);
        Assert.Equal("..data/conf", new FileInfo(Path.Combine(_dir, "conf")).LinkTarget);
        Assert.Equal("one", File.ReadAllText(Path.Combine(_dir, "a.txt")));
        Assert.Equal("two", File.ReadAllText(Path.Combine(_dir, "conf/b.txt")));
        Assert.Equal((UnixFileMode)0x180, File.GetUnixFileMode(Path.Combine(_dir, data, "conf/b.txt")));
        Assert.Equal((UnixFileMode)0x1a4, File.GetUnixFileMode(Path.Combine(_dir, data, "a.txt")));
    }

    [Fact]
    public void An_unchanged_payload_writes_nothing_and_a_change_swaps_everything_and_drops_old_names()
    {
        var writer = new AtomicWriter(_dir, NullLogger.Instance);
        writer.Write(Files(("a", "1", 0x1a4), ("gone", "x", 0x1a4)));
        string first = new FileInfo(Path.Combine(_dir, "..data")).LinkTarget!;

        Assert.False(writer.Write(Files(("a", "1", 0x1a4), ("gone", "x", 0x1a4))));
        Assert.Equal(first, new FileInfo(Path.Combine(_dir, "..data")).LinkTarget);

        Assert.True(writer.Write(Files(("a", "1", 0x100)))); // a mode change alone is a change
        string second = new FileInfo(Path.Combine(_dir, "..data")).LinkTarget!;
        Assert.NotEqual(first, second);
        Assert.False(Directory.Exists(Path.Combine(_dir, first)));
        Assert.False(Path.Exists(Path.Combine(_dir, "gone")));
        Assert.Null(new FileInfo(Path.Combine(_dir, "gone")).LinkTarget);
        Assert.Equal(new[] { "..data", "a", second }.Order(StringComparer.Ordinal).ToArray(), Directory.EnumerateFileSystemEntries(_dir).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray());
    }

    [Fact]
    public async Task A_reader_never_sees_half_an_update()
    {
        var writer = new AtomicWriter(_dir, NullLogger.Instance);
        writer.Write(Files(("a", "0", 0x1a4), ("b", "0", 0x1a4)));
        using var done = new CancellationTokenSource();
        int reads = 0, torn = 0;
        string? failure = null;
        var reader = Task.Run(() =>
        {
            string a = Path.Combine(_dir, "..data", "a"), b = Path.Combine(_dir, "..data", "b");
            while (!done.IsCancellationRequested)
            {
                // Read both through one resolution of ..data, as a program holding the directory would.
                string? target;
                try
                {
                    target = new FileInfo(Path.Combine(_dir, "..data")).LinkTarget;
                    if (target is null)
                        continue;
                    string first = File.ReadAllText(Path.Combine(_dir, target, "a")), second = File.ReadAllText(Path.Combine(_dir, target, "b"));
                    if (first != second)
                        Interlocked.Increment(ref torn);
                    Interlocked.Increment(ref reads);
                }
                catch (IOException)
                {
                    // The old directory was removed between reading the link and the files: a retry, never a mix.
                }
                try
                {
                    if (File.ReadAllText(Path.Combine(_dir, "a")).Length == 0)
                        Interlocked.Increment(ref torn); // a user-visible name never shows an empty file
                }
                catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
                {
                    // The path resolved ..data to a directory removed just after the swap (upstream has the same window): retry.
                }
                catch (IOException e)
                {
                    failure = e.ToString();
                    Interlocked.Increment(ref torn);
                }
            }
        });
        for (int i = 1; i <= 100; i++)
            writer.Write(Files(("a", i.ToString(System.Globalization.CultureInfo.InvariantCulture), 0x1a4), ("b", i.ToString(System.Globalization.CultureInfo.InvariantCulture), 0x1a4)));
        SpinWait.SpinUntil(() => Volatile.Read(ref reads) > 0, TimeSpan.FromSeconds(10));
        done.Cancel();
        await reader.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Null(failure);
        Assert.Equal(0, torn);
        Assert.Equal("100", File.ReadAllText(Path.Combine(_dir, "b")));
    }

    [Theory]
    [InlineData("/abs")]
    [InlineData("a/../b")]
    [InlineData("..hidden")]
    [InlineData("")]
    public void Bad_paths_are_refused(string path) =>
        Assert.Throws<ArgumentException>(() => new AtomicWriter(_dir, NullLogger.Instance).Write(Files((path, "x", 0x1a4))));
}
