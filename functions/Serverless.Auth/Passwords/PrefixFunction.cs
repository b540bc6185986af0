namespace Serverless.Auth.Passwords;

/// <summary>
/// The Knuth-Morris-Pratt failure function, used to find the smallest period of a text in linear time
/// (one unit repeated, or a dictionary entry typed several times over).
/// </summary>
internal static class PrefixFunction
{
    /// <summary>The smallest period of text[..k+1] is k+1 - result[k].</summary>
    public static int[] Of(ReadOnlySpan<int> text)
    {
        var result = new int[text.Length];
        for (var i = 1; i < text.Length; i++)
        {
            var k = result[i - 1];
            while (k > 0 && text[i] != text[k])
            {
                k = result[k - 1];
            }

            result[i] = text[i] == text[k] ? k + 1 : 0;
        }

        return result;
    }
}
