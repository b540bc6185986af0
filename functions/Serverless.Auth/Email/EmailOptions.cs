using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using MimeKit;
using Serverless.Auth.Http;

namespace Serverless.Auth.Email;

/// <summary>How the SMTP sender connects: STARTTLS upgrade, TLS from the first byte, or plain text (loopback development servers only).</summary>
public enum SmtpTls
{
    /// <summary>Connect in plain text and upgrade with STARTTLS, required (port 587).</summary>
    StartTls,

    /// <summary>TLS from the first byte (port 465).</summary>
    SslOnConnect,

    /// <summary>Plain text: refused in Azure and for any host but loopback.</summary>
    None,
}

/// <summary>
/// Settings under <c>Auth__Email__*</c>: the SMTP relay, the sender, the links in mails and the token lifetimes. The
/// <c>Smtp*</c> and <see cref="UseTls"/> settings are the default sender's: with an <see cref="IAuthMailSender"/> of the
/// app's own they are neither required nor read.
/// </summary>
public sealed class EmailOptions
{
    /// <summary>The configuration section: <c>Auth:Email</c>.</summary>
    public const string Section = "Auth:Email";

    /// <summary>
    /// The SMTP relay's host name (<see href="email.md">Azure Communication Services</see> or any provider; <c>127.0.0.1</c>,
    /// the local maildev, with port 1025). Not required, nor any SMTP setting, when the app registers
    /// <see href="extension-points.md">a mail sender of its own</see> (<see cref="IAuthMailSender"/>).
    /// </summary>
    [Setting(Default = "— (required)")]
    public string? SmtpHost { get; set; }

    /// <summary>The SMTP relay's port (1-65535): 587 for <c>StartTls</c>, 465 for <c>SslOnConnect</c>, 1025 for the local maildev.</summary>
    public int SmtpPort { get; set; } = 587;

    /// <summary>The SMTP authentication's user name; empty for a relay without authentication.</summary>
    public string? SmtpUser { get; set; }

    /// <summary>The SMTP authentication's password, a Key Vault reference in Azure. A password without a user is refused.</summary>
    public string? SmtpPassword { get; set; }

    /// <summary>
    /// How the SMTP sender secures the connection: <c>StartTls</c> (required, not opportunistic: a relay without STARTTLS
    /// fails), <c>SslOnConnect</c> (port 465) or <c>None</c>: plain text, refused in Azure and for any host but loopback.
    /// </summary>
    public SmtpTls UseTls { get; set; } = SmtpTls.StartTls;

    /// <summary>The sender (the From header), e.g. <c>Example &lt;no-reply@example.com&gt;</c>: a sender your relay may use.</summary>
    [Setting(Default = "— (required)")]
    public string? From { get; set; }

    /// <summary>The name in subjects and bodies (1-100 characters, no line breaks).</summary>
    public string ProductName { get; set; } = "Serverless Auth";

    /// <summary>
    /// The frontend page the mails link to, e.g. <c>https://app.example.com/auth</c> → <c>…/confirm?token=…</c>,
    /// <c>…/reset?token=…</c>, <c>…/email-change?token=…</c>, <c>…/forgot</c>. Its origin must be one of
    /// <c>Auth__AllowedOrigins</c> (links carry tokens that sign people in); https except for localhost; no query or fragment.
    /// </summary>
    [Setting(Default = "— (required)")]
    public string? LinkBaseUrl { get; set; }

    /// <summary>
    /// Login needs a confirmed address, and signup no longer says whether an address is registered: signup answers 202 for
    /// every address and stores a <see href="email.md">pending registration</see>; the account exists once its link is used,
    /// so login answers 401 until then. Accounts created unconfirmed (setting off, or an older release) answer 403
    /// <c>email_not_confirmed</c> for the right password.
    /// </summary>
    public bool RequireConfirmed { get; set; }

    /// <summary>How long a confirmation link works, in minutes from the request (5-10080).</summary>
    public int ConfirmTokenMinutes { get; set; } = 1440;

    /// <summary>How long a reset or email-change link works, in minutes from the request (5-1440: a reset link is as good as the password).</summary>
    public int ResetTokenMinutes { get; set; } = 30;

    /// <summary>
    /// At most one mail of each kind (confirm, reset, signup attempt) per account in this many seconds (0-3600): nobody can
    /// flood an inbox through the API.
    /// </summary>
    public int MailCooldownSeconds { get; set; } = 60;

    /// <summary>
    /// At most this many mails to one address (registered or not) in any rolling hour, counted in storage across instances
    /// by the sender; further ones are dropped (<see href="email.md">caps</see>). Caps what forgot, resend and signup can
    /// send to a victim, however the requests are spread. 1-1000.
    /// </summary>
    public int MaxPerAddressPerHour { get; set; } = 5;

    /// <summary>The same over any rolling 24 hours: at least <see cref="MaxPerAddressPerHour"/>, at most 1000.</summary>
    public int MaxPerAddressPerDay { get; set; } = 20;

    internal TimeSpan ConfirmTokenLifetime => TimeSpan.FromMinutes(ConfirmTokenMinutes);
    internal TimeSpan ResetTokenLifetime => TimeSpan.FromMinutes(ResetTokenMinutes);
    internal TimeSpan MailCooldown => TimeSpan.FromSeconds(MailCooldownSeconds);
}

/// <summary>
/// Whether the default SMTP sender is the one in use: the last <see cref="IAuthMailSender"/> registration (the one the
/// container resolves) is the default's. Read from the registrations, so the check constructs no sender.
/// </summary>
internal sealed class MailSenderChoice(IEnumerable<ServiceDescriptor> registrations, ServiceDescriptor smtp)
{
    private readonly Lazy<bool> usesSmtp = new(() =>
        registrations.LastOrDefault(r => r.ServiceType == typeof(IAuthMailSender) && !r.IsKeyedService) == smtp);

    public bool UsesSmtp => usesSmtp.Value;
}

internal sealed class EmailOptionsValidator(IOptions<RequestOriginOptions> origins, MailSenderChoice sender) : IValidateOptions<EmailOptions>
{
    public ValidateOptionsResult Validate(string? name, EmailOptions options)
    {
        var failures = new List<string>();
        // The relay's settings only matter to the SMTP sender: with a sender of the app's own they are not read.
        if (sender.UsesSmtp)
        {
            AddSmtpProblems(options, failures);
        }

        if (string.IsNullOrWhiteSpace(options.From) || !MailboxAddress.TryParse(options.From, out var from) || !from.Address.Contains('@', StringComparison.Ordinal))
        {
            failures.Add("Auth__Email__From is required: the sender address, e.g. 'Example <no-reply@example.com>'.");
        }

        if (string.IsNullOrWhiteSpace(options.ProductName) || options.ProductName.Length > 100 || options.ProductName.Any(char.IsControl))
        {
            failures.Add("Auth__Email__ProductName must be 1-100 characters without line breaks (it goes into mail subjects).");
        }

        if (LinkBaseProblem(options.LinkBaseUrl, origins.Value.Origins) is { } linkProblem)
        {
            failures.Add(linkProblem);
        }

        if (options.ConfirmTokenMinutes is < 5 or > 10080)
        {
            failures.Add("Auth__Email__ConfirmTokenMinutes must be between 5 and 10080 (7 days).");
        }

        if (options.ResetTokenMinutes is < 5 or > 1440)
        {
            failures.Add("Auth__Email__ResetTokenMinutes must be between 5 and 1440 (a reset link is as good as the password).");
        }

        if (options.MailCooldownSeconds is < 0 or > 3600)
        {
            failures.Add("Auth__Email__MailCooldownSeconds must be between 0 and 3600.");
        }

        // Bounded above because every counted mail is kept for a day in the address's one quota row.
        if (options.MaxPerAddressPerHour is < 1 or > MailQuota.MaxPerDay)
        {
            failures.Add($"Auth__Email__MaxPerAddressPerHour must be between 1 and {MailQuota.MaxPerDay} (mails to one address in any hour).");
        }

        if (options.MaxPerAddressPerDay < Math.Max(1, options.MaxPerAddressPerHour) || options.MaxPerAddressPerDay > MailQuota.MaxPerDay)
        {
            failures.Add($"Auth__Email__MaxPerAddressPerDay must be at least Auth__Email__MaxPerAddressPerHour ({options.MaxPerAddressPerHour}) and at most {MailQuota.MaxPerDay} (mails to one address in any 24 hours).");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void AddSmtpProblems(EmailOptions options, List<string> failures)
    {
        var host = options.SmtpHost?.Trim();
        if (string.IsNullOrEmpty(host) || host.Any(char.IsWhiteSpace) || Uri.CheckHostName(host) == UriHostNameType.Unknown)
        {
            failures.Add("Auth__Email__SmtpHost is required: the SMTP relay's host name (e.g. smtp.azurecomm.net; 127.0.0.1 for the local maildev), unless the app registers a mail sender of its own (IAuthMailSender).");
        }

        if (options.SmtpPort is < 1 or > 65535)
        {
            failures.Add("Auth__Email__SmtpPort must be a TCP port (1-65535), e.g. 587 for StartTls or 465 for SslOnConnect.");
        }

        if (!Enum.IsDefined(options.UseTls))
        {
            failures.Add("Auth__Email__UseTls must be StartTls, SslOnConnect or None.");
        }
        else if (options.UseTls == SmtpTls.None && (DeploymentEnvironment.Current.RunningInAzure || !IsLoopback(host)))
        {
            failures.Add("Auth__Email__UseTls=None sends mail (links that sign people in) and any SMTP password in plain text: it is refused in Azure and for any SMTP host but a loopback development server. Use StartTls or SslOnConnect.");
        }

        if (!string.IsNullOrEmpty(options.SmtpPassword) && string.IsNullOrWhiteSpace(options.SmtpUser))
        {
            failures.Add("Auth__Email__SmtpPassword is set but Auth__Email__SmtpUser is not: set both (SMTP authentication) or neither.");
        }
    }

    /// <summary>
    /// Links carry tokens that sign people in, so they may only point at the frontend: an allowed
    /// origin (a typo or a hostile setting must not send tokens elsewhere), https outside loopback.
    /// </summary>
    private static string? LinkBaseProblem(string? value, string[] allowedOrigins)
    {
        const string Example = "e.g. https://app.example.com/auth (the mails link to <base>/confirm, <base>/reset and <base>/forgot)";
        if (string.IsNullOrWhiteSpace(value)
            || !Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp)
            || !string.IsNullOrEmpty(uri.Query) || !string.IsNullOrEmpty(uri.Fragment) || !string.IsNullOrEmpty(uri.UserInfo))
        {
            return $"Auth__Email__LinkBaseUrl is required: an absolute http(s) URL without query or fragment, {Example}.";
        }

        if (uri.Scheme != Uri.UriSchemeHttps && !IsLoopback(uri.Host))
        {
            return $"Auth__Email__LinkBaseUrl must use https (links carry sign-in tokens); http only for localhost. {Example}.";
        }

        var origin = uri.GetLeftPart(UriPartial.Authority);
        return allowedOrigins.Contains(origin, StringComparer.OrdinalIgnoreCase)
            ? null
            : $"Auth__Email__LinkBaseUrl's origin {origin} is not one of Auth__AllowedOrigins: links must lead to your frontend.";
    }

    private static bool IsLoopback(string? host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host?.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
}
