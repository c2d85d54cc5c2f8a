using Kybernet.Linux.Interop;

namespace Kybernet.Linux.Files;

/// <summary>
/// An exclusive flock(2) on a file, held until disposed. The file is opened with libc's open (not a
/// FileStream, which takes a non-blocking flock of its own on Unix) so the lock is exactly the one
/// other programs see: a blocking LOCK_EX on an O_RDONLY|O_CREAT descriptor, as go-filemutex does.
/// </summary>
public sealed class FileLock : IDisposable
{
    private int _fd;

    private FileLock(int fd, string path)
    {
        _fd = fd;
        Path = path;
    }

    public string Path { get; }

    /// <summary>Opens (creating with <paramref name="mode"/> if needed) and locks <paramref name="path"/>, waiting for other holders.</summary>
    public static FileLock Acquire(string path, int mode = 0x1e8 /* 0750, as go-filemutex creates it */)
    {
        int fd = Libc.open(path, Libc.O_RDONLY | Libc.O_CREAT | Libc.O_CLOEXEC, mode);
        if (fd < 0)
            throw LinuxException.FromLastError($"open lock file {path}");
        while (Libc.flock(fd, Libc.LOCK_EX) != 0)
        {
            int errno = Libc.Errno;
            if (errno == Libc.EINTR)
                continue;
            Libc.close(fd);
            throw new LinuxException($"lock {path}", errno);
        }
        return new FileLock(fd, path);
    }

    /// <summary>
    /// Like <see cref="Acquire"/>, for a lock file its holder may delete (when what it guards is gone): after
    /// locking, checks that the path still names the file locked, and starts over if it does not, so a waiter
    /// never ends up holding a lock on a deleted file while a newcomer locks a new one.
    /// </summary>
    public static FileLock AcquireRemovable(string path, int mode = 0x1e8)
    {
        while (true)
        {
            var held = Acquire(path, mode);
            if (held.StillNamesLockedFile())
                return held;
            held.Dispose();
        }
    }

    private unsafe bool StillNamesLockedFile()
    {
        byte* locked = stackalloc byte[Libc.StatSize];
        byte* named = stackalloc byte[Libc.StatSize];
        if (Libc.fstat(_fd, locked) != 0)
            throw LinuxException.FromLastError($"fstat lock file {Path}");
        if (Libc.stat_path(Path, named) != 0)
            return false; // deleted meanwhile
        return ((ulong*)locked)[0] == ((ulong*)named)[0] && ((ulong*)locked)[1] == ((ulong*)named)[1];
    }

    /// <summary>Closing the descriptor releases the lock.</summary>
    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0)
            Libc.close(fd);
    }
}
