using Kybernet.Linux.Files;

namespace Kybernet.Linux.Tests.Files;

public sealed class FileLockTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("kyt-lock-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string LockPath => Path.Combine(_dir.FullName, "x.lock");

    [Fact]
    public async Task A_waiter_whose_lock_file_was_removed_locks_the_new_one()
    {
        var first = FileLock.AcquireRemovable(LockPath);
        var waiter = Task.Run(() => FileLock.AcquireRemovable(LockPath));
        await Task.Delay(200); // let the waiter block on the first file (the outcome must be right either way)
        File.Delete(LockPath);
        first.Dispose();

        using var second = await waiter.WaitAsync(TimeSpan.FromSeconds(10));

        // The waiter holds the lock the path names now: a newcomer must wait for it.
        Assert.True(File.Exists(LockPath));
        var newcomer = Task.Run(() => FileLock.AcquireRemovable(LockPath));
        await Task.WhenAny(newcomer, Task.Delay(300));
        Assert.False(newcomer.IsCompleted, "a newcomer got a lock someone holds");
        second.Dispose();
        (await newcomer.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
    }
}
