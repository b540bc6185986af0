using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serverless.Auth.Storage;

namespace Serverless.Auth;

/// <summary>Start-up found a setting it cannot run with; the message names the setting and says what to do.</summary>
public sealed class StartupRefusedException(string message, Exception? innerException = null) : InvalidOperationException(message, innerException);

/// <summary>
/// How both hosts stop on a refused setting: the message on stderr and exit code 1, not an unhandled exception
/// (SIGABRT, exit 134, a stack trace burying the setting's name). Anything else still propagates: a bug keeps
/// its stack trace.
/// </summary>
public static class StartupRefusal
{
    /// <summary>The exit code of a refused start-up.</summary>
    public const int ExitCode = 1;

    /// <summary>What each line written to stderr for a refused start-up begins with.</summary>
    public const string LinePrefix = "Start-up error: ";

    /// <summary>
    /// Checks the settings and prepares storage, then runs the host until it stops; returns the process exit code.
    /// The checks run before the host starts, where the host would log a refusal once more, stack trace included.
    /// </summary>
    public static int RunOrRefuse(this IHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        try
        {
            host.Services.GetService<IStartupValidator>()?.Validate();
            host.Services.GetRequiredService<TableInitializer>().StartAsync(CancellationToken.None).GetAwaiter().GetResult();
            host.Run();
            return 0;
        }
        catch (Exception e) when (Explain(e) is { } lines)
        {
            // Once each: options that read other options repeat those options' failures. The prefix makes the
            // Functions host, which reads its worker's stderr line by line, log each as an error and quote it
            // when the worker exits (it ranks a line by words such as "error").
            foreach (var line in lines.Distinct(StringComparer.Ordinal))
            {
                Console.Error.WriteLine(LinePrefix + line);
            }

            return ExitCode;
        }
    }

    /// <summary>The refusal's text, a line per refused setting; null when the exception is not a refusal.</summary>
    internal static IEnumerable<string>? Explain(Exception exception) => exception switch
    {
        OptionsValidationException invalid => invalid.Failures,
        StartupRefusedException refused => [refused.Message],
        AggregateException { InnerExceptions.Count: > 0 } several when several.InnerExceptions.All(inner => Explain(inner) is not null) =>
            several.InnerExceptions.SelectMany(inner => Explain(inner)!),
        _ => null,
    };
}
