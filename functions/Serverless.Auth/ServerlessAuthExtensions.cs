using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Serverless.Auth.Accounts;
using Serverless.Auth.Cookies;
using Serverless.Auth.Http;
using Serverless.Auth.Passwords;
using Serverless.Auth.Secrets;
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

        // First: a literal Key Vault reference explains every other failure it would cause.
        services.AddOptionsWithValidateOnStart<UnresolvedKeyVaultReferences, UnresolvedKeyVaultReferencesValidator>()
            .Configure(options => options.Settings = UnresolvedKeyVaultReferences.Find(builder.Configuration));

        services.AddOptionsWithValidateOnStart<StorageOptions, StorageOptionsValidator>().BindConfiguration(StorageOptions.Section);
        services.AddOptionsWithValidateOnStart<JwtOptions, JwtOptionsValidator>().BindConfiguration(JwtOptions.Section);
        services.AddOptionsWithValidateOnStart<RevocationOptions, RevocationOptionsValidator>().BindConfiguration(RevocationOptions.Section);
        services.AddOptionsWithValidateOnStart<AuthCookieOptions, AuthCookieOptionsValidator>().BindConfiguration(AuthCookieOptions.Section);
        services.AddOptionsWithValidateOnStart<PasswordOptions, PasswordOptionsValidator>().BindConfiguration(PasswordOptions.Section);
        services.AddOptionsWithValidateOnStart<Argon2Options, Argon2OptionsValidator>().BindConfiguration(Argon2Options.Section);
        services.AddOptionsWithValidateOnStart<ThrottlingOptions, ThrottlingOptionsValidator>().BindConfiguration(ThrottlingOptions.Section);
        services.AddOptionsWithValidateOnStart<RequestOriginOptions, RequestOriginOptionsValidator>().BindConfiguration(RequestOriginOptions.Section);

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
        services.AddSingleton<CredentialsReader>();
        foreach (var endpoint in AuthApi.All)
        {
            endpoint.AddHandler(services);
        }

        // Order matters: tables exist before the revocation list first reads them.
        services.AddHostedService<TableInitializer>();
        services.AddHostedService(sp => sp.GetRequiredService<RevocationList>());
        return builder;
    }
}
