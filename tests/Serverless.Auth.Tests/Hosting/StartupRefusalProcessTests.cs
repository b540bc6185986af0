using System.Text.RegularExpressions;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Hosting;

/// <summary>
/// A refused setting stops either host as a process should stop: the message naming the setting on stderr, exit
/// code 1, no stack trace anywhere (not an unhandled exception: SIGABRT, exit 134, the setting buried under it).
/// </summary>
public sealed partial class StartupRefusalProcessTests(AzuriteFixture azurite)
{
    public static TheoryData<HostProcess.Kind> Hosts => [HostProcess.Kind.Standalone, HostProcess.Kind.Functions];

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task AnUnsafeSettingIsRefusedOnStderrWithExitCode1(HostProcess.Kind host)
    {
        var run = await HostProcess.RunToExitAsync(host, azurite.Settings(s => s["Auth:Cookie:SameSite"] = "None"));

        AssertRefused(run, "Auth__Cookie__SameSite=None requires Auth__Cookie__Secure=true");
    }

    [Theory]
    [MemberData(nameof(Hosts))]
    public async Task AWrongStorageKeyIsRefusedNamingTheSetting(HostProcess.Kind host)
    {
        var otherKey = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(64));
        var wrongKey = AccountKey().Replace(azurite.ConnectionString, "AccountKey=" + otherKey + ";");

        var run = await HostProcess.RunToExitAsync(host, azurite.Settings(s => s["Auth:Storage:ConnectionString"] = wrongKey));

        AssertRefused(run, "Auth__Storage__ConnectionString: the account key was rejected (storage at http://127.0.0.1:");
        Assert.DoesNotContain(otherKey, run.StandardError, StringComparison.Ordinal);
    }

    /// <summary>The queue trigger has no default for %AUTH_EMAIL_QUEUE%: without it no mail would ever be sent.</summary>
    [Fact]
    public async Task TheFunctionsAppRefusesToStartWithoutTheQueueSetting()
    {
        var run = await HostProcess.RunToExitAsync(HostProcess.Kind.Functions, azurite.Settings(s => s.Remove("AUTH_EMAIL_QUEUE")));

        AssertRefused(run, "AUTH_EMAIL_QUEUE is required: the MailSender queue trigger reads its queue name from it");
    }

    private static void AssertRefused(CommandResult run, string message)
    {
        var everything = run.StandardOutput + run.StandardError;
        Assert.True(run.ExitCode == 1, $"exit code {run.ExitCode}:\n{everything}");
        Assert.Contains(StartupRefusal.LinePrefix + message, run.StandardError, StringComparison.Ordinal);
        Assert.DoesNotMatch(StackFrame(), everything);
        Assert.DoesNotContain("Unhandled exception", everything, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"AccountKey=[^;]+;")]
    private static partial Regex AccountKey();

    [GeneratedRegex(@"(?m)^\s+at \S+\(")]
    private static partial Regex StackFrame();
}
