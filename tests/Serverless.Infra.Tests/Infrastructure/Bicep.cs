using System.Reflection;
using System.Text.RegularExpressions;
using Serverless.Testing;

namespace Serverless.Infra.Tests.Infrastructure;

/// <summary>One finished run of the Bicep CLI.</summary>
public sealed partial record BicepRun(string Arguments, int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Lines that report a Warning or an Error diagnostic (any rule, any file).</summary>
    public IReadOnlyList<string> Diagnostics(bool includeStandardOutput) =>
        (includeStandardOutput ? StandardError + "\n" + StandardOutput : StandardError)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => DiagnosticLine().IsMatch(line))
            .ToList();

    public override string ToString()
    {
        var stdout = StandardOutput.Length > 4000 ? StandardOutput[..4000] + "\n[...]" : StandardOutput;
        return $"bicep {Arguments} exited with {ExitCode}\n--- stderr ---\n{StandardError}\n--- stdout ---\n{stdout}";
    }

    [GeneratedRegex(@"\b(Warning|Error)\b")]
    private static partial Regex DiagnosticLine();
}

/// <summary>Runs the Bicep CLI restored from the NuGet package Azure.Bicep.CommandLine.linux-x64.</summary>
public static class Bicep
{
    /// <summary>Variables main.bicepparam reads; removed from every run unless a test sets them.</summary>
    public static readonly string[] ParameterEnvironment =
    [
        "AZURE_ENV_NAME", "AZURE_LOCATION", "AUTH_ALLOWED_ORIGINS", "AUTH_JWT_SIGNING_KEYS", "AUTH_JWT_SIGNING_KEYS_PEM",
        "AUTH_JWT_SIGNING_MODE", "AUTH_SERVER_KEY", "AUTH_JWT_ISSUER", "AUTH_JWT_AUDIENCE", "AUTH_COOKIE_SAMESITE",
        "AUTH_SMTP_HOST", "AUTH_SMTP_PORT", "AUTH_SMTP_TLS", "AUTH_SMTP_USER", "AUTH_SMTP_PASSWORD", "AUTH_SMTP_PASSWORD_IN_KEY_VAULT",
        "AUTH_EMAIL_FROM", "AUTH_EMAIL_LINK_BASE_URL", "AUTH_EMAIL_PRODUCT_NAME", "AUTH_EMAIL_REQUIRE_CONFIRMED", "AUTH_EMAIL_QUEUE",
        "AUTH_PASSKEYS_RP_ID", "AUTH_PASSKEYS_RP_NAME", "AUTH_PASSKEYS_ORIGINS",
        "AUTH_OIDC_PROVIDERS", "AUTH_OIDC_CLIENT_SECRETS",
        "AUTH_ADMIN_AUTHORITY", "AUTH_ADMIN_ISSUERS", "AUTH_ADMIN_AUDIENCES", "AUTH_ADMIN_ROLE", "AUTH_EVENTS_RETENTION_DAYS",
        "AZURE_KEY_VAULT_CREATE_MODE", "AZURE_KEY_VAULT_NAME_SALT",
    ];

    private static readonly Lazy<string> ExecutablePath = new(Locate);

    public static string Executable => ExecutablePath.Value;

    public static async Task<BicepRun> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        // The parameter variables are removed unless the test sets them: the developer's own must not leak in.
        var variables = ParameterEnvironment.ToDictionary(name => name, _ => (string?)null);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            variables[name] = value;
        }

        var run = await Command.RunAsync(Executable, arguments, TimeSpan.FromMinutes(3), workingDirectory: workingDirectory, environment: variables);
        return new BicepRun(string.Join(' ', arguments), run.ExitCode, run.StandardOutput, run.StandardError);
    }

    private static string Locate()
    {
        var path = typeof(Bicep).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(attribute => attribute.Key == "BicepExecutable").Value;
        if (string.IsNullOrEmpty(path) || !File.Exists(path))
        {
            throw new InvalidOperationException(
                $"The Bicep CLI was not found at '{path}'. It comes from the NuGet package Azure.Bicep.CommandLine.linux-x64 " +
                "(restored by this project); run 'dotnet restore' and make sure you are on linux-x64.");
        }

        // NuGet does not always keep the executable bit when it extracts a package.
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if (!mode.HasFlag(UnixFileMode.UserExecute))
            {
                File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
            }
        }

        return path;
    }
}
