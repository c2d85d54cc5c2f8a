using Kybernet.Controllers.Jobs;

namespace Kybernet.Controllers.Tests.Jobs;

public sealed class CompletionIndexesTests
{
    [Theory]
    [InlineData(new int[0], null)]
    [InlineData(new[] { 0 }, "0")]
    [InlineData(new[] { 5, 1, 3, 4, 7 }, "1,3-5,7")]
    [InlineData(new[] { 0, 1, 2, 2 }, "0-2")]
    public void Indexes_are_written_ascending_with_runs_as_ranges_and_read_back(int[] indexes, string? text)
    {
        Assert.Equal(text, CompletionIndexes.Format(indexes));
        Assert.Equal(indexes.Distinct().Order(), CompletionIndexes.Parse(text));
    }
}
