namespace Kybernet.Kubelet.Tests.Images;

/// <summary>
/// The NativeAOT builds the image tests package: ./test publishes the multi-call binary into KYBERNET_NATIVE_DIR and
/// agnhost into KYBERNET_AGNHOST_DIR.
/// </summary>
internal static class TestBinaries
{
    public static string Native => Find("KYBERNET_NATIVE_DIR", "kybernet-native", "src/Kybernet.Native");

    public static string Agnhost => Find("KYBERNET_AGNHOST_DIR", "agnhost", "src/Kybernet.Agnhost");

    private static string Find(string variable, string name, string project) =>
        Environment.GetEnvironmentVariable(variable) is { } dir && File.Exists(Path.Combine(dir, name))
            ? Path.Combine(dir, name)
            : throw new FileNotFoundException($"this test needs the NativeAOT build of {project}: run ./test, or publish it and set {variable}");
}
