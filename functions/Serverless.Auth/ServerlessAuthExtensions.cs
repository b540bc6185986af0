using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serverless.Auth.Accounts;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Passwords;
using Serverless.Auth.Storage;
using Serverless.Auth.Throttling;
using Serverless.Auth.Tokens;

namespace Serverless.Auth;

public static class ServerlessAuthExtensions
{
    /// <summary>
    /// Registers everything the auth endpoints need, bound to the <c>Auth</c> configuration section
    /// (<c>Auth__*</c> environment variables) and validated at start-up: a missing or unsafe setting
    /// stops the host with a message naming it.
    /// </summary>
    public static IHostApplicationBuilder AddServerlessAuth(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        var configuration = builder.Configuration;

        AddValidatedOptions<StorageOptions, StorageOptionsValidator>(services, configuration.GetSection(StorageOptions.Section));
        AddValidatedOptions<JwtOptions, JwtOptionsValidator>(services, configuration.GetSection(JwtOptions.Section));
        AddValidatedOptions<RevocationOptions, RevocationOptionsValidator>(services, configuration.GetSection(RevocationOptions.Section));
        AddValidatedOptions<AuthCookieOptions, AuthCookieOptionsValidator>(services, configuration.GetSection(AuthCookieOptions.Section));
        AddValidatedOptions<PasswordOptions, PasswordOptionsValidator>(services, configuration.GetSection(PasswordOptions.Section));
        AddValidatedOptions<Argon2Options, Argon2OptionsValidator>(services, configuration.GetSection(Argon2Options.Section));
        AddValidatedOptions<ThrottlingOptions, ThrottlingOptionsValidator>(services, configuration.GetSection(ThrottlingOptions.Section));
        AddValidatedOptions<RequestOriginOptions, RequestOriginOptionsValidator>(services, configuration.GetSection(RequestOriginOptions.Section));

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<AuthTables>();
        services.AddSingleton<UserRepository>();
        services.AddSingleton<HashingGate>();
        services.AddSingleton<PasswordHasher>();
        services.AddSingleton<PasswordPolicy>();
        services.AddSingleton<AccessTokens>();
        services.AddSingleton<RevocationList>();
        services.AddSingleton<AuthCookie>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<ClientRateLimiter>();
        services.AddSingleton<CrossSiteGuard>();
        services.AddSingleton<AccountService>();
        services.AddSingleton<AuthHandlers>();

        // Order matters: tables exist before the revocation list first reads them.
        services.AddHostedService<TableInitializer>();
        services.AddHostedService(sp => sp.GetRequiredService<RevocationList>());
        return builder;
    }

    private static void AddValidatedOptions<TOptions, TValidator>(IServiceCollection services, Microsoft.Extensions.Configuration.IConfigurationSection section)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.AddOptions<TOptions>().Bind(section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<TOptions>, TValidator>();
    }
}
