namespace Serverless.Auth.Tests.Infrastructure;

public static class Emails
{
    /// <summary>An address no other test uses: <c>name-&lt;random&gt;@example.com</c>, lower case.</summary>
    public static string Unique(string name) => $"{name}-{Guid.NewGuid().ToString("N")[..12]}@example.com";
}
