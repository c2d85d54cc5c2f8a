namespace Kybernet.Api.Names;

/// <summary>
/// <c>metadata.generateName</c>: the prefix, cut to 58 characters, then 5 random characters from
/// Kubernetes' alphabet (no vowels, no confusable digits), so the result is at most 63.
/// </summary>
public static class NameGenerator
{
    /// <summary>Kubernetes' alphabet for random names (k8s.io/apimachinery/pkg/util/rand).</summary>
    public const string Alphabet = "bcdfghjklmnpqrstvwxz2456789";

    public const int RandomLength = 5;
    public const int MaxNameLength = 63;
    public const int MaxPrefixLength = MaxNameLength - RandomLength;

    public static string GenerateName(string prefix, Random? random = null)
    {
        random ??= Random.Shared;
        if (prefix.Length > MaxPrefixLength)
            prefix = prefix[..MaxPrefixLength];
        Span<char> suffix = stackalloc char[RandomLength];
        for (var i = 0; i < suffix.Length; i++)
            suffix[i] = Alphabet[random.Next(Alphabet.Length)];
        return string.Concat(prefix, suffix);
    }
}
