namespace Serverless.Infra.Tests.Infrastructure;

/// <summary>
/// Reads the literal parts of a compiled ARM expression. An array that ends with a spread (the Function App's settings
/// end with one group per OpenID Connect provider) compiles to one expression,
/// <c>[flatten(createArray(createArray(createObject('name', 'A', 'value', x), ...), variables('rest')))]</c>,
/// where each element is written as it would be alone in a literal array. Only function calls, string literals and the
/// operands inside them are told apart; nothing is evaluated.
/// </summary>
public static class ArmExpression
{
    /// <summary>
    /// The objects that <c>createObject</c> builds as elements of the <c>createArray</c>s (through <c>flatten</c>) that
    /// <paramref name="expression"/> ("[...]") is made of, as property name → argument; other elements (variables, ...) are skipped.
    /// </summary>
    public static IEnumerable<IReadOnlyDictionary<string, string>> CreatedObjects(string expression)
    {
        Assert.True(expression.StartsWith('[') && expression.EndsWith(']'), $"Not an ARM expression: {expression}");
        return Elements(expression[1..^1]);
    }

    /// <summary>An argument as it would be written on its own in the template: a string literal as its text, anything else as "[expression]".</summary>
    public static string AsWritten(string argument) => Literal(argument) ?? $"[{argument}]";

    /// <summary>The text of a single-quoted ARM string literal ('' is a quote), or null when <paramref name="argument"/> is not one.</summary>
    public static string? Literal(string argument) =>
        argument.Length >= 2 && argument[0] == '\'' && argument[^1] == '\'' && !argument[1..^1].Replace("''", "", StringComparison.Ordinal).Contains('\'', StringComparison.Ordinal)
            ? argument[1..^1].Replace("''", "'", StringComparison.Ordinal)
            : null;

    private static IEnumerable<IReadOnlyDictionary<string, string>> Elements(string expression) =>
        Call(expression) switch
        {
            ("flatten" or "createArray", var arguments) => arguments.SelectMany(argument => Call(argument) switch
            {
                ("createObject", var pairs) => [Pairs(pairs)],
                ("createArray" or "flatten", _) => Elements(argument),
                _ => [],
            }),
            _ => [],
        };

    private static Dictionary<string, string> Pairs(IReadOnlyList<string> arguments) =>
        Enumerable.Range(0, arguments.Count / 2).ToDictionary(i => Literal(arguments[2 * i]) ?? arguments[2 * i], i => arguments[(2 * i) + 1]);

    /// <summary>The function and top-level arguments of "name(a, b, ...)", or ("", []) when the expression is not one call.</summary>
    private static (string Function, IReadOnlyList<string> Arguments) Call(string expression)
    {
        var open = expression.IndexOf('(', StringComparison.Ordinal);
        if (open <= 0 || !expression.EndsWith(')') || expression[..open].Any(c => !char.IsLetterOrDigit(c)))
        {
            return ("", []);
        }

        var arguments = new List<string>();
        var (depth, quoted, start) = (0, false, open + 1);
        for (var i = open + 1; i < expression.Length - 1; i++)
        {
            var c = expression[i];
            if (quoted)
            {
                // '' inside a literal is an escaped quote: the second one reopens it.
                quoted = c != '\'';
            }
            else if (c == '\'')
            {
                quoted = true;
            }
            else if (c is '(' or '[')
            {
                depth++;
            }
            else if (c is ')' or ']')
            {
                if (--depth < 0)
                {
                    return ("", []); // "f(a).b(c)": the first call closes before the end
                }
            }
            else if (c == ',' && depth == 0)
            {
                arguments.Add(expression[start..i].Trim());
                start = i + 1;
            }
        }

        arguments.Add(expression[start..^1].Trim());
        return (expression[..open], arguments);
    }
}
