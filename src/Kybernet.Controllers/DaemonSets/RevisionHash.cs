using System.Text;
using k8s;
using k8s.Models;

namespace Kybernet.Controllers.DaemonSets;

/// <summary>
/// The controller-revision-hash of a pod template: 32-bit FNV-1a over the template's JSON (and the collision count, when
/// there was one), written as upstream writes it: each digit of the decimal number as one of 27 letters and digits that
/// spell no words (bcdf..., no vowels).
/// </summary>
public static class RevisionHash
{
    private const string SafeAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    public static string Of(V1PodTemplateSpec template, int? collisionCount)
    {
        var text = KubernetesJson.Serialize(template) + (collisionCount is { } c ? c.ToString(System.Globalization.CultureInfo.InvariantCulture) : "");
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(text))
            hash = (hash ^ b) * 16777619u;
        var digits = hash.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var safe = new StringBuilder(digits.Length);
        foreach (var d in digits)
            safe.Append(SafeAlphabet[d % SafeAlphabet.Length]);
        return safe.ToString();
    }
}
