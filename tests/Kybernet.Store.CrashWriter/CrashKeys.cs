namespace Kybernet.Store;

/// <summary>The keys and values the crash writer puts, shared with the test that checks them.</summary>
public static class CrashKeys
{
    public static string Key(long n) => $"/crash/{n:D8}";
    public static string Value(long n) => $"value-{n}";
}
