namespace Kybernet.Lab.Tests;

/// <summary>Polls a condition the lab converges to, bounded generously: the tests assert what happens, never how fast.</summary>
internal static class Poll
{
    public static bool Eventually(Func<bool> condition, TimeSpan within, TimeSpan? interval = null)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                return false;
            Thread.Sleep(interval ?? TimeSpan.FromMilliseconds(100));
        }
        return true;
    }
}
