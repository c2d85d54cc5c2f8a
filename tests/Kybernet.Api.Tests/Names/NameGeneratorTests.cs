using Kybernet.Api.Names;

namespace Kybernet.Api.Tests.Names;

public class NameGeneratorTests
{
    [Fact]
    public void Appends_five_characters_from_kubernetes_alphabet()
    {
        for (var i = 0; i < 200; i++)
        {
            var name = NameGenerator.GenerateName("web-");
            Assert.Equal(9, name.Length);
            Assert.StartsWith("web-", name);
            Assert.All(name[4..], c => Assert.Contains(c, "bcdfghjklmnpqrstvwxz2456789"));
            Assert.Empty(NameValidation.IsDns1123Label(name));
        }
    }

    [Fact]
    public void Long_prefixes_are_cut_so_the_name_fits_63()
    {
        var prefix = new string('p', 70);
        var name = NameGenerator.GenerateName(prefix);
        Assert.Equal(63, name.Length);
        Assert.StartsWith(new string('p', 58), name);
        Assert.Equal(63, NameGenerator.GenerateName(new string('p', 58)).Length);
        Assert.Equal(62, NameGenerator.GenerateName(new string('p', 57)).Length);
    }

    [Fact]
    public void Same_seed_same_name_and_names_differ()
    {
        Assert.Equal(NameGenerator.GenerateName("x-", new Random(7)), NameGenerator.GenerateName("x-", new Random(7)));
        var names = Enumerable.Range(0, 100).Select(_ => NameGenerator.GenerateName("x-")).ToHashSet();
        Assert.True(names.Count > 95);
    }

    [Fact]
    public void Empty_prefix_gives_just_the_random_part() =>
        Assert.Equal(5, NameGenerator.GenerateName("").Length);
}
