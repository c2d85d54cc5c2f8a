namespace Kybernet.ApiServer.Tests.Security;

/// <summary>The server's keys, tokens and kubeconfigs are its owner's alone, in a directory only the owner enters.</summary>
public sealed class SecretFileTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    [Fact]
    public void Keys_tokens_and_kubeconfigs_are_owner_only()
    {
        var pki = Path.Combine(server.DataDirectory, "pki");
        Assert.Equal(OwnerReadWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(pki));
        foreach (var secret in new[] { "pki/ca.key", "pki/apiserver.key", "pki/admin.token", "pki/sa.key", "admin.kubeconfig", "controller-manager.kubeconfig" })
            Assert.True(File.GetUnixFileMode(Path.Combine(server.DataDirectory, secret)) == OwnerReadWrite, $"{secret}: {File.GetUnixFileMode(Path.Combine(server.DataDirectory, secret))}");
        Assert.Empty(Directory.GetFiles(pki, "*.tmp"));
    }

    [Fact]
    public void A_new_secret_file_is_never_readable_by_others_even_over_an_old_one()
    {
        var path = Path.Combine(server.DataDirectory, "replaced.key");
        File.WriteAllText(path, "old");
        File.SetUnixFileMode(path, OwnerReadWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        global::Kybernet.ApiServer.Security.SecretFile.Write(path, "new");
        Assert.Equal("new", File.ReadAllText(path));
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(path));
    }
}
