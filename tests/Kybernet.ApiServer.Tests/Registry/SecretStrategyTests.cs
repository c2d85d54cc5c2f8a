using Kybernet.ApiServer.Registry;
using static Kybernet.ApiServer.Tests.Registry.StrategyAssert;

namespace Kybernet.ApiServer.Tests.Registry;

public sealed class SecretStrategyTests
{
    private readonly SecretStrategy _secrets = new();

    [Fact]
    public void String_data_is_folded_into_data_and_the_type_defaults_to_opaque()
    {
        var secret = Obj("""{"metadata":{"name":"token"},"data":{"a":"YQ=="},"stringData":{"key":"value","a":"b"}}""");
        _secrets.Default(secret);
        Assert.Equal("Opaque", Str(secret["type"]));
        Assert.Equal("dmFsdWU=", Str(secret["data"]!["key"]));
        Assert.Equal("Yg==", Str(secret["data"]!["a"])); // stringData wins, as upstream
        Assert.Null(secret["stringData"]);

        var typed = Obj("""{"metadata":{"name":"tls"},"type":"kubernetes.io/tls"}""");
        _secrets.Default(typed);
        Assert.Equal("kubernetes.io/tls", Str(typed["type"]));
        Assert.Empty(_secrets.Subresources);
    }
}
