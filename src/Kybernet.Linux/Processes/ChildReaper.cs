using Kybernet.Linux.Interop;

namespace Kybernet.Linux.Processes;

/// <summary>
/// Reaps children nobody waits for (daemons started with <see cref="ChildProcess.Detach"/>) when they exit, so a
/// long-lived process does not collect zombies. One background thread polls all their pidfds and an eventfd
/// that wakes it for a new one; it starts with the first child handed over.
/// </summary>
internal static unsafe class ChildReaper
{
    private static readonly Lock Gate = new();
    private static readonly List<ProcessHandle> Children = [];
    private static int _wake = -1;

    public static void Adopt(ProcessHandle child)
    {
        lock (Gate)
        {
            if (_wake < 0)
            {
                int fd = Libc.eventfd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
                if (fd < 0)
                    throw LinuxException.FromLastError("create the child reaper's eventfd");
                _wake = fd;
                new Thread(Loop, maxStackSize: 256 * 1024) { IsBackground = true, Name = "kybernet-reaper" }.Start();
            }
            Children.Add(child);
        }
        ulong one = 1;
        Libc.write(_wake, &one, sizeof(ulong));
    }

    private static void Loop()
    {
        while (true)
        {
            ProcessHandle[] children;
            lock (Gate)
                children = [.. Children];
            var fds = new Libc.PollFd[children.Length + 1];
            fds[0] = new Libc.PollFd { Fd = _wake, Events = Libc.POLLIN };
            for (int i = 0; i < children.Length; i++)
                fds[i + 1] = new Libc.PollFd { Fd = children[i].Fd, Events = Libc.POLLIN };

            fixed (Libc.PollFd* p = fds)
            {
                if (Libc.poll(p, (nuint)fds.Length, -1) < 0)
                    continue; // EINTR; nothing else can fail with valid descriptors
            }
            if (fds[0].ReturnedEvents != 0)
            {
                ulong count;
                Libc.read(_wake, &count, sizeof(ulong));
            }
            for (int i = 0; i < children.Length; i++)
            {
                if (fds[i + 1].ReturnedEvents == 0)
                    continue;
                int status;
                while (Libc.waitpid(children[i].Pid, &status, Libc.WNOHANG) < 0 && Libc.Errno == Libc.EINTR) { }
                lock (Gate)
                    Children.Remove(children[i]);
                children[i].Dispose();
            }
        }
    }
}
