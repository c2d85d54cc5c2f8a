using System.Text;
using Kybernet.Kubelet.Logs;

namespace Kybernet.Kubelet.Tests.Logs;

public sealed class ContainerLogReaderTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"kyt-log-{Guid.NewGuid():N}.log");

    private const string Log = """
        2026-12-02T10:00:01.000000001Z stdout F one
        2026-12-02T10:00:02.000000002Z stderr F two
        2026-12-02T10:00:03.000000003Z stdout P thr
        2026-12-02T10:00:03.000000004Z stdout F ee
        2026-12-02T10:00:04.000000005Z stdout F
        2026-12-02T10:00:05.000000006Z stdout F five

        """;

    public ContainerLogReaderTests() => File.WriteAllText(_path, Log.Replace("\r\n", "\n"));

    public void Dispose() => File.Delete(_path);

    private async Task<string> Read(ContainerLogOptions options, Func<CancellationToken, Task<bool>>? running = null)
    {
        using var output = new MemoryStream();
        await ContainerLogReader.CopyAsync(_path, options, output, running ?? (_ => Task.FromResult(false)), CancellationToken.None);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    [Fact]
    public async Task The_text_of_every_line_with_partial_lines_joined_and_both_streams()
    {
        Assert.Equal("one\ntwo\nthree\n\nfive\n", await Read(new ContainerLogOptions()));
    }

    [Fact]
    public async Task Tail_counts_the_files_lines_from_the_end()
    {
        Assert.Equal("five\n", await Read(new ContainerLogOptions { TailLines = 1 }));
        Assert.Equal("\nfive\n", await Read(new ContainerLogOptions { TailLines = 2 }));
        Assert.Equal("", await Read(new ContainerLogOptions { TailLines = 0 }));
        Assert.Equal("one\ntwo\nthree\n\nfive\n", await Read(new ContainerLogOptions { TailLines = 100 }));
    }

    [Fact]
    public async Task Since_timestamps_and_a_byte_limit()
    {
        Assert.Equal("\nfive\n", await Read(new ContainerLogOptions { Since = DateTimeOffset.Parse("2026-12-02T10:00:04Z") }));
        Assert.Equal("2026-12-02T10:00:05.000000006Z five\n", await Read(new ContainerLogOptions { TailLines = 1, Timestamps = true }));
        Assert.Equal("one\ntw", await Read(new ContainerLogOptions { LimitBytes = 6 }));
    }

    [Fact]
    public async Task Following_sends_what_is_written_later_and_ends_once_the_container_stopped()
    {
        var running = true;
        using var output = new MemoryStream();
        var copy = ContainerLogReader.CopyAsync(_path, new ContainerLogOptions { Follow = true, TailLines = 1 }, output, _ => Task.FromResult(running), CancellationToken.None);
        await Task.Delay(300);
        Assert.False(copy.IsCompleted);
        File.AppendAllText(_path, "2026-12-02T10:00:06.000000007Z stdout F six\n2026-12-02T10:00:07.0Z stdout F sev");
        File.AppendAllText(_path, "en\n"); // a line whose end arrives in a later write
        running = false;
        await copy.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal("five\nsix\nseven\n", Encoding.UTF8.GetString(output.ToArray()));
    }

    [Theory]
    [InlineData("not a log line")]
    [InlineData("2026-12-02T10:00:01Z stdin F x")]
    [InlineData("2026-12-02T10:00:01Z stdout X x")]
    [InlineData("yesterday stdout F x")]
    public void Lines_not_in_the_CRI_format_are_not_parsed(string line)
    {
        Assert.Null(CriLogLine.Parse(Encoding.UTF8.GetBytes(line)));
    }

    [Fact]
    public void Query_options_in_range_or_a_named_error()
    {
        var now = DateTimeOffset.Parse("2026-12-02T10:00:00Z");
        var options = ContainerLogOptions.FromQuery(q => q switch { "follow" => "true", "tailLines" => "5", "sinceSeconds" => "60", "limitBytes" => "10", _ => null }, now);
        Assert.Equal(new ContainerLogOptions { Follow = true, TailLines = 5, Since = now.AddSeconds(-60), LimitBytes = 10 }, options);
        Assert.Contains("tailLines", Assert.Throws<ArgumentException>(() => ContainerLogOptions.FromQuery(q => q == "tailLines" ? "-1" : null, now)).Message);
        Assert.Contains("limitBytes", Assert.Throws<ArgumentException>(() => ContainerLogOptions.FromQuery(q => q == "limitBytes" ? "0" : null, now)).Message);
        Assert.Contains("at most one", Assert.Throws<ArgumentException>(() => ContainerLogOptions.FromQuery(q => q is "sinceSeconds" ? "5" : q is "sinceTime" ? "2026-12-02T09:00:00Z" : null, now)).Message);
    }
}
