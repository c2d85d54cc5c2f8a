using Kybernet.ApiServer.Storage;

namespace Kybernet.ApiServer.Tests.Storage;

public sealed class ContinueTokenTests
{
    // What k8s.io/apiserver's EncodeContinue("/registry/pods/default/p1\x00", "/registry/pods/", 42) gives:
    // base64url (unpadded) of {"v":"meta.k8s.io/v1","rv":42,"start":"default/p1\u0000"}.
    private const string Upstream = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NDIsInN0YXJ0IjoiZGVmYXVsdC9wMVx1MDAwMCJ9";

    [Fact]
    public void Tokens_are_byte_for_byte_upstreams()
    {
        Assert.Equal(Upstream, ContinueToken.Encode("/registry/pods/default/p1\0", "/registry/pods/", 42));
        Assert.Equal(("/registry/pods/default/p1\0", 42L), ContinueToken.Decode(Upstream, "/registry/pods/"));
    }

    [Fact]
    public void A_token_continues_under_whatever_prefix_it_is_used_with_and_cannot_climb_out_of_it()
    {
        var token = ContinueToken.Encode("/registry/core/configmaps/a/b\0", "/registry/core/configmaps/", -1);
        Assert.Equal(("/registry/core/configmaps/a/b\0", -1L), ContinueToken.Decode(token, "/registry/core/configmaps/"));
        Assert.Throws<ArgumentException>(() => ContinueToken.Encode("/registry/core/secrets/x", "/registry/core/configmaps/", 1));
        Assert.Throws<FormatException>(() => ContinueToken.Decode(Upstream + "=", "/registry/pods/"));
    }
}
