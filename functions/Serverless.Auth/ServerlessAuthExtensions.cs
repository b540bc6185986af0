using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Serverless.Auth.Admin;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serverless.Auth.Accounts;
using Serverless.Auth.Cookies;
using Serverless.Auth.Email;
using Serverless.Auth.Events;
using Serverless.Auth.Http;
using Serverless.Auth.Mfa;
using Serverless.Auth.Oidc;
using Serverless.Auth.Passkeys;
using Serverless.Auth.Passwords;
using Serverless.Auth.Protection;
using Serverless.Auth.Secrets;
using Serverless.Auth.Sessions;
using Serverless.Auth.Storage;
using Serverless.Auth.Throttling;
using Serverless.Auth.Tokens;

namespace Serverless.Auth;

/// <summary>Registers the auth service, or only its session checks, in a host.</summary>
public static class ServerlessAuthExtensions
{
    /// <summary>When the storage clean-up runs (NCRONTAB, as the Functions timer trigger reads it): every 15 minutes.</summary>
    public const string CleanupSchedule = "0 */15 * * * *";

    /// <summary>
    /// Registers everything the auth service needs (its endpoints, mail, clean-up), bound to the <c>Auth</c> configuration
    /// section (<c>Auth__*</c> environment variables) and validated at start-up: a missing or unsafe setting stops the
    /// host with a message naming it. Includes <see cref="AddSessionAuthentication"/>, so the host's own endpoints can be
    /// protected with the same sessions. Mail goes out through the <see cref="IAuthMailSender"/>: SMTP, unless the app
    /// registers its own (before or after this call). Every <see cref="IAuthEventSink"/> registered hears of the account
    /// events (signed up, signed in, password changed, account deleted, ...).
    /// </summary>
    public static IHostApplicationBuilder AddServerlessAuth(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        AddSessionChecks(builder);
        services.Configure<StorageOptions>(options => options.MailQueueRequired = true);

        services.AddOptionsWithValidateOnStart<ServerSecretOptions, ServerSecretOptionsValidator>().BindConfiguration(ServerSecretOptions.Section)
            .Validate<IOptions<JwtOptions>>(
                (server, jwt) => !ServerSecretOptions.SharesAKeyWith(server, jwt.Value),
                "Auth__Secrets__ServerKey shares a key with Auth__Jwt__SigningKey(s): the server key must be a key of its own (openssl rand -base64 32).");
        services.AddOptionsWithValidateOnStart<SessionLifetimeOptions, SessionLifetimeOptionsValidator>().BindConfiguration(SessionLifetimeOptions.Section);
        services.AddOptionsWithValidateOnStart<PasswordOptions, PasswordOptionsValidator>().BindConfiguration(PasswordOptions.Section);
        services.AddOptionsWithValidateOnStart<Argon2Options, Argon2OptionsValidator>().BindConfiguration(Argon2Options.Section);
        services.AddOptionsWithValidateOnStart<ThrottlingOptions, ThrottlingOptionsValidator>().BindConfiguration(ThrottlingOptions.Section);
        services.AddOptionsWithValidateOnStart<EmailOptions, EmailOptionsValidator>().BindConfiguration(EmailOptions.Section);
        services.AddOptionsWithValidateOnStart<AuthEventOptions, AuthEventOptionsValidator>().BindConfiguration(AuthEventOptions.Section);
        services.AddOptionsWithValidateOnStart<MfaOptions, MfaOptionsValidator>().BindConfiguration(MfaOptions.Section);
        services.AddOptionsWithValidateOnStart<PasskeyOptions, PasskeyOptionsValidator>().BindConfiguration(PasskeyOptions.Section);
        services.AddOptionsWithValidateOnStart<OidcOptions, OidcOptionsValidator>().BindConfiguration(OidcOptions.Section);
        services.AddOptionsWithValidateOnStart<AdminOptions, AdminOptionsValidator>().BindConfiguration(AdminOptions.Section);

        services.AddSingleton<UserRepository>();
        services.AddSingleton<MfaIssuer>();
        services.AddSingleton<TotpSecretBox>();
        services.AddSingleton<RecoveryCodes>();
        services.AddSingleton<SecondFactor>();
        services.AddSingleton<StepUp>();
        services.AddSingleton<PendingSignIns>();
        services.AddSingleton<PasskeyRepository>();
        services.AddSingleton<PasskeyCeremony>();
        services.AddSingleton<PasskeyChallenges>();
        services.AddSingleton<PasskeySignIns>();
        services.AddSingleton<OidcClient>();
        services.AddSingleton<OidcFlowCookie>();
        services.AddSingleton<OidcTickets>();
        services.AddSingleton<OidcIdentities>();
        services.AddSingleton<OidcAccounts>();
        services.AddSingleton<HashingSlots>();
        services.AddSingleton<PasswordHasher>();
        services.AddSingleton<PasswordPolicy>();
        services.AddSingleton<ServerKey>();
        services.AddSingleton<SessionStore>();
        services.AddSingleton<SessionService>();
        services.AddSingleton<BrowserSignIn>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<DeviceCookies>();
        services.AddSingleton<ClientRateLimiter>();
        services.AddSingleton<AccountService>();
        services.AddSingleton<EndpointChecks>();
        services.AddSingleton<AdminTokens>();
        services.AddSingleton<EventLog>();
        services.AddSingleton<AuthEvents>();
        services.AddSingleton<MailQueue>();
        services.AddSingleton<MailOutbox>();
        services.AddSingleton<MailTokenStore>();
        services.AddSingleton<PendingRegistrations>();
        services.AddSingleton<MailLinks>();
        services.AddSingleton<MailComposer>();
        // The app's own sender wins whether it is registered before this (no default is added) or after (the last
        // registration is the one resolved); the SMTP settings are only required while the default is the one in use.
        var smtp = ServiceDescriptor.Singleton<IAuthMailSender, SmtpMailSender>();
        services.TryAdd(smtp);
        services.AddSingleton(new MailSenderChoice(services, smtp));
        services.AddSingleton<MailDelivery>();
        services.AddSingleton<MailQuota>();
        foreach (var endpoint in AuthApi.All)
        {
            endpoint.Declaration.AddHandler(services);
        }

        services.AddSingleton<StorageCleanup>();

        // Order matters: tables exist before the revocation list first reads them.
        services.AddSingleton<TableInitializer>();
        services.AddHostedService(sp => sp.GetRequiredService<TableInitializer>());
        services.AddHostedService(sp => sp.GetRequiredService<RevocationList>());
        return builder;
    }

    /// <summary>
    /// Only checks sessions, for an API that protects its own endpoints with the sessions the auth service issues (on
    /// the same storage and signing keys): storage, issuer, audience and keys are required, mail settings never. Adds the
    /// <see cref="SessionAuthentication.Scheme"/> authentication scheme (the default authorization policy uses it, so
    /// <c>RequireAuthorization()</c> needs no arguments) and the <see cref="SessionAuthentication.ConfirmedEmailPolicy"/>
    /// policy. Not needed next to <see cref="AddServerlessAuth"/>, which includes it.
    /// </summary>
    public static IHostApplicationBuilder AddSessionAuthentication(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (AddSessionChecks(builder))
        {
            builder.Services.AddHostedService(sp => sp.GetRequiredService<RevocationList>());
        }

        return builder;
    }

    /// <summary>
    /// The origin check that protects the auth routes, on an app's own endpoint: its POST, PUT, PATCH and DELETE
    /// requests from a browser must come from this origin or an allowed one (<c>Auth__AllowedOrigins</c>), or get
    /// 403 problem+json. Use it on every unsafe-method endpoint that cookies authenticate.
    /// </summary>
    public static TBuilder RequireAllowedOrigin<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter<TBuilder, AllowedOriginFilter>();

    /// <summary>What checking a session needs, once per host: false when it was registered already.</summary>
    private static bool AddSessionChecks(IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        if (services.Any(service => service.ServiceType == typeof(Authenticator)))
        {
            return false;
        }

        // First: a literal Key Vault reference explains every other failure it would cause.
        services.AddOptionsWithValidateOnStart<UnresolvedKeyVaultReferences, UnresolvedKeyVaultReferencesValidator>()
            .Configure(options => options.Settings = UnresolvedKeyVaultReferences.Find(builder.Configuration));
        services.AddOptionsWithValidateOnStart<StorageOptions, StorageOptionsValidator>().BindConfiguration(StorageOptions.Section)
            .Configure<IConfiguration>(StorageOptions.ReadEmailQueue);
        services.AddOptionsWithValidateOnStart<JwtOptions, JwtOptionsValidator>().BindConfiguration(JwtOptions.Section);
        services.AddOptionsWithValidateOnStart<RevocationOptions, RevocationOptionsValidator>().BindConfiguration(RevocationOptions.Section);
        services.AddOptionsWithValidateOnStart<AuthCookieOptions, AuthCookieOptionsValidator>().BindConfiguration(AuthCookieOptions.Section);
        services.AddOptionsWithValidateOnStart<RequestOriginOptions, RequestOriginOptionsValidator>().BindConfiguration(RequestOriginOptions.Section);

        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<AuthTables>();
        services.AddSingleton(sp => new AuthStorage(sp.GetRequiredService<AuthTables>()));
        services.AddSingleton<AccessTokens>();
        services.AddSingleton<RevocationStore>();
        services.AddSingleton<RevocationList>();
        services.AddSingleton<AuthMount>();
        services.AddSingleton<SessionCookies>();
        services.AddSingleton<Authenticator>();
        services.AddSingleton<OriginCheck>();

        // No default authenticate scheme, not even the automatic one a single registered scheme becomes (ASP.NET Core's
        // switch for that is process-wide): only endpoints that ask for the session are authenticated, so the auth
        // routes are not checked twice and a fail-closed revocation check never touches an endpoint that does not need it.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        services.TryAddTransient<SessionAuthenticationHandler>();
        services.AddAuthentication(options => options.AddScheme<SessionAuthenticationHandler>(SessionAuthentication.Scheme, displayName: null));
        services.AddAuthorizationBuilder()
            .SetDefaultPolicy(new AuthorizationPolicyBuilder(SessionAuthentication.Scheme).RequireAuthenticatedUser().Build())
            .AddPolicy(SessionAuthentication.ConfirmedEmailPolicy, policy => policy
                .AddAuthenticationSchemes(SessionAuthentication.Scheme)
                .RequireAuthenticatedUser()
                .RequireClaim(SessionAuthentication.EmailVerifiedClaim, "true"));
        return true;
    }

    /// <summary>
    /// Runs the storage clean-up on a schedule inside this host (the standalone host). The Functions
    /// app runs the same clean-up from a timer-triggered function instead.
    /// </summary>
    public static IHostApplicationBuilder AddScheduledCleanup(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHostedService<StorageCleanupService>();
        return builder;
    }

    /// <summary>
    /// Sends the queued mail from inside this host (the standalone host), with the queue mechanics of
    /// host.json's <c>extensions.queues</c>. The Functions app uses a queue-triggered function instead.
    /// </summary>
    public static IHostApplicationBuilder AddMailQueueSender(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptionsWithValidateOnStart<MailQueueOptions, MailQueueOptionsValidator>().BindConfiguration(MailQueueOptions.Section);
        builder.Services.AddHostedService<MailQueueService>();
        return builder;
    }

    /// <summary>
    /// The Functions app sends the queued mail from a queue-triggered function that reads the queue name from
    /// <c>AUTH_EMAIL_QUEUE</c> itself, with no default: start-up refuses to run without it, so the API never
    /// enqueues mail where nothing reads.
    /// </summary>
    public static IHostApplicationBuilder AddMailQueueTrigger(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<StorageOptions>().Validate<IConfiguration>(
            (_, configuration) => !string.IsNullOrWhiteSpace(configuration[StorageOptions.EmailQueueSetting]),
            "AUTH_EMAIL_QUEUE is required: the MailSender queue trigger reads its queue name from it (%AUTH_EMAIL_QUEUE%), and the API enqueues there.");
        return builder;
    }

    /// <summary>
    /// Handles one message of the mail queue (the Functions queue trigger calls this). Throws when the
    /// mail could not be sent, so the queue retries it and finally moves it to the poison queue.
    /// </summary>
    public static Task DeliverQueuedMailAsync(this IServiceProvider services, string message, CancellationToken cancellationToken) =>
        services.GetRequiredService<MailDelivery>().DeliverAsync(message, cancellationToken);

    /// <summary>
    /// Builds every endpoint's handler and its singletons (signing keys, storage clients, the options they
    /// validate) on a thread-pool thread while the host starts: a cold start does that work on the second
    /// core instead of in front of its first request. A failure here is not reported: start-up validation
    /// reports it, naming the setting, and stops the host.
    /// </summary>
    public static void WarmUpInBackground(this IServiceProvider services) =>
        _ = Task.Run(() =>
        {
            foreach (var endpoint in AuthApi.All)
            {
                try
                {
                    endpoint.Declaration.ResolveHandler(services);
                }
                catch (Exception)
                {
                    // See above: the host's own start-up reports it.
                }
            }
        });

    /// <summary>One clean-up pass (the Functions timer trigger calls this).</summary>
    public static Task RunStorageCleanupAsync(this IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<StorageCleanup>().RunAsync(cancellationToken);
}
