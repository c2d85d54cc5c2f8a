using System.Reflection;
using System.Text;
using System.Xml;

namespace Kybernet.ApiServer.Schemas;

/// <summary>
/// The descriptions of the official models' types and properties: their doc comments, which are
/// upstream's API documentation (KubernetesClient generates them from the OpenAPI spec). The build
/// embeds the models' part of the package's KubernetesClient.xml (Schemas/ModelDocs.xslt).
/// </summary>
public sealed class ModelDocs
{
    private const string Resource = "KubernetesModels.xml";

    private readonly Dictionary<string, string> _summaries;

    private ModelDocs(Dictionary<string, string> summaries) => _summaries = summaries;

    public static ModelDocs Load()
    {
        using var stream = typeof(ModelDocs).Assembly.GetManifestResourceStream(Resource)
            ?? throw new InvalidOperationException($"the embedded resource {Resource} is missing from {typeof(ModelDocs).Assembly.GetName().Name}");
        using var reader = XmlReader.Create(stream);
        var summaries = new Dictionary<string, string>(StringComparer.Ordinal);
        reader.ReadToFollowing("m");
        while (!reader.EOF)
        {
            if (reader.NodeType != XmlNodeType.Element || reader.Name != "m")
            {
                reader.Read();
                continue;
            }
            var name = reader.GetAttribute("n")!;
            // Leaves the reader on the node after the element: the next <m>, which the loop takes as it is.
            var text = Normalize(reader.ReadElementContentAsString());
            if (text.Length > 0)
                summaries[name] = text;
        }
        return new ModelDocs(summaries);
    }

    public string? Of(Type type) => _summaries.GetValueOrDefault($"T:{type.FullName}");

    public string? Of(PropertyInfo property) => _summaries.GetValueOrDefault($"P:{property.DeclaringType!.FullName}.{property.Name}");

    /// <summary>
    /// Doc comments are wrapped at 80 columns and indented; upstream's descriptions are one line per
    /// paragraph (kubectl explain wraps them itself), paragraphs apart by a blank line.
    /// </summary>
    private static string Normalize(string summary)
    {
        var text = new StringBuilder();
        bool paragraphBreak = false;
        foreach (var line in summary.Split('\n').Select(l => l.Trim()))
        {
            if (line.Length == 0)
            {
                paragraphBreak = text.Length > 0;
                continue;
            }
            if (text.Length > 0)
                text.Append(paragraphBreak ? "\n\n" : " ");
            text.Append(line);
            paragraphBreak = false;
        }
        return text.ToString();
    }
}
