using System.Text;

namespace Kybernet.Kubelet.Pods.Env;

/// <summary>
/// Kubernetes' $(VAR) references in env values, command, args and subPathExpr: $(NAME) becomes the variable's
/// value, $$ becomes one $, and a reference to an unknown variable (or an unclosed one) stays as written.
/// </summary>
public static class VariableExpansion
{
    /// <summary>Expands <paramref name="input"/>; <paramref name="lookup"/> returns null for an unknown name.</summary>
    public static string Expand(string input, Func<string, string?> lookup)
    {
        if (!input.Contains('$'))
            return input;
        var output = new StringBuilder(input.Length);
        int checkpoint = 0;
        for (int cursor = 0; cursor < input.Length; cursor++)
        {
            if (input[cursor] != '$' || cursor + 1 >= input.Length)
                continue;
            output.Append(input, checkpoint, cursor - checkpoint);
            char next = input[cursor + 1];
            int advance = 1;
            if (next == '$')
            {
                output.Append('$');
            }
            else if (next == '(')
            {
                int close = input.IndexOf(')', cursor + 2);
                if (close < 0)
                {
                    output.Append("$(");
                }
                else
                {
                    string name = input.Substring(cursor + 2, close - cursor - 2);
                    output.Append(lookup(name) ?? $"$({name})");
                    advance = close - cursor;
                }
            }
            else
            {
                // "$x" is no reference: both characters stay.
                output.Append('$').Append(next);
            }
            cursor += advance;
            checkpoint = cursor + 1;
        }
        output.Append(input, checkpoint, input.Length - checkpoint);
        return output.ToString();
    }

    /// <summary>A lookup that tries each map in turn.</summary>
    public static Func<string, string?> Over(params IReadOnlyDictionary<string, string>[] maps) => name =>
    {
        foreach (var map in maps)
            if (map.TryGetValue(name, out string? value))
                return value;
        return null;
    };
}
