using Kybernet.Api.Names;

namespace Kybernet.Api.Tests.Names;

public class NameValidationTests
{
    private const string SubdomainMessage =
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character " +
        "(e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

    private const string LabelMessage =
        "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character " +
        "(e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

    private const string Dns1035Message =
        "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character " +
        "(e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("example.com")]
    [InlineData("my-app.v1")]
    [InlineData("a-b-c.d-e")]
    [InlineData("1.2.3")]
    public void Valid_subdomains(string name) => Assert.Empty(NameValidation.IsDns1123Subdomain(name));

    [Theory]
    [InlineData("")]
    [InlineData("Example")]
    [InlineData("-a")]
    [InlineData("a-")]
    [InlineData(".a")]
    [InlineData("a.")]
    [InlineData("a..b")]
    [InlineData("a.-b")]
    [InlineData("a_b")]
    [InlineData("a b")]
    [InlineData("a\n")]
    public void Invalid_subdomains_have_kubernetes_message(string name) =>
        Assert.Equal([SubdomainMessage], NameValidation.IsDns1123Subdomain(name));

    [Fact]
    public void Subdomain_length_boundary_is_253()
    {
        var name253 = string.Join(".", Enumerable.Repeat(new string('a', 63), 4))[..253];
        Assert.Equal(253, name253.Length);
        Assert.Empty(NameValidation.IsDns1123Subdomain(name253));
        Assert.Equal(["must be no more than 253 characters"], NameValidation.IsDns1123Subdomain(name253 + "a"));
    }

    [Fact]
    public void Label_length_boundary_is_63()
    {
        Assert.Empty(NameValidation.IsDns1123Label(new string('a', 63)));
        Assert.Equal(["must be no more than 63 characters"], NameValidation.IsDns1123Label(new string('a', 64)));
        Assert.Empty(NameValidation.IsDns1035Label(new string('a', 63)));
        Assert.Equal(["must be no more than 63 characters"], NameValidation.IsDns1035Label(new string('a', 64)));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("default")]
    [InlineData("kube-system")]
    [InlineData("123-abc")]
    public void Valid_labels(string name) => Assert.Empty(NameValidation.IsDns1123Label(name));

    [Fact]
    public void Labels_refuse_dots_and_other_characters()
    {
        Assert.Equal(["must not contain dots"], NameValidation.IsDns1123Label("a.b"));
        Assert.Equal([LabelMessage], NameValidation.IsDns1123Label("A"));
        Assert.Equal([LabelMessage], NameValidation.IsDns1123Label(""));
        Assert.Equal([LabelMessage], NameValidation.IsDns1123Label("a-"));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("my-svc")]
    [InlineData("abc-123")]
    public void Valid_dns1035_labels(string name) => Assert.Empty(NameValidation.IsDns1035Label(name));

    [Theory]
    [InlineData("1abc")]
    [InlineData("-abc")]
    [InlineData("abc-")]
    [InlineData("a.b")]
    [InlineData("Abc")]
    [InlineData("")]
    public void Invalid_dns1035_labels_have_kubernetes_message(string name) =>
        Assert.Equal([Dns1035Message], NameValidation.IsDns1035Label(name));

    [Fact]
    public void Both_length_and_syntax_errors_are_reported()
    {
        var errors = NameValidation.IsDns1123Label(new string('A', 64));
        Assert.Equal(["must be no more than 63 characters", LabelMessage], errors);
    }

    [Theory]
    [InlineData("web-", "weba")]
    [InlineData("web", "web")]
    [InlineData("-", "-")]
    public void Generate_name_prefixes_are_validated_with_the_dash_masked(string prefix, string masked)
    {
        Assert.Equal(masked, NameValidation.MaskTrailingDash(prefix));
        Assert.Empty(NameValidation.IsDns1123Subdomain(NameValidation.MaskTrailingDash("my-app.v1-")));
    }

    [Theory]
    [InlineData("app")]
    [InlineData("example.com/app")]
    [InlineData("app.kubernetes.io/name")]
    [InlineData("My_Key.1")]
    public void Qualified_names(string key) => Assert.Empty(LabelSyntax.IsQualifiedName(key));

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("My_Value-1.2")]
    public void Label_values(string value) => Assert.Empty(LabelSyntax.IsValidLabelValue(value));

    [Theory]
    [InlineData("-abc")]
    [InlineData("abc_")]
    [InlineData("a/b")]
    [InlineData("a b")]
    public void Invalid_label_values(string value) =>
        Assert.StartsWith("a valid label must be an empty string", Assert.Single(LabelSyntax.IsValidLabelValue(value)));
}
