using System.Net;
using Microsoft.Extensions.Options;
using MimeKit;

namespace Serverless.Auth.Email;

/// <summary>The mails: plain text plus simple HTML, no images, no tracking, links to the frontend only.</summary>
internal sealed class MailComposer(IOptions<EmailOptions> options)
{
    private readonly EmailOptions settings = options.Value;

    public MimeMessage Compose(MailRequest mail, string to)
    {
        var product = settings.ProductName;
        var token = mail.Token;
        var (subject, intro, action, link, outro) = mail.Kind switch
        {
            MailKind.Confirm or MailKind.ClaimEmail => (
                $"Confirm your email for {product}",
                $"Confirm that this address belongs to your {product} account.",
                "Confirm email address",
                Link("confirm", token),
                $"The link works once and expires in {Duration(settings.ConfirmTokenLifetime)}. If you did not sign up, ignore this mail."),
            MailKind.Registration => (
                $"Confirm your email for {product}",
                $"Confirm this address to create your {product} account.",
                "Confirm email address",
                Link("confirm", token),
                $"The account is created when you follow the link; then sign in with the password you chose. The link works once and expires in {Duration(settings.ConfirmTokenLifetime)}. If you did not sign up, ignore this mail: without the link, no account is created."),
            MailKind.Reset => (
                $"Reset your {product} password",
                $"Someone (hopefully you) asked to reset the password of your {product} account.",
                "Choose a new password",
                Link("reset", token),
                $"The link works once and expires in {Duration(settings.ResetTokenLifetime)}. Setting a new password signs you out everywhere. If you did not ask, ignore this mail: your password stays as it is."),
            MailKind.EmailChange => (
                $"Confirm your new email for {product}",
                $"Someone (hopefully you) asked to use this address for their {product} account.",
                "Use this email address",
                Link("email-change", token),
                $"The address changes when you follow the link; then sign in with it. The link works once and expires in {Duration(settings.ResetTokenLifetime)}. If you did not ask, ignore this mail: nothing changes."),
            MailKind.EmailChangeNotice => (
                $"Your {product} email address is being changed",
                $"Someone signed in to your {product} account asked to change its email address to {mail.NewEmail}. It changes once a link sent there is followed.",
                "Reset your password",
                Base("forgot"),
                "If this was you, nothing to do. If it was not, someone knows your password: reset it now with the link, which also signs out every session and voids the change."),
            MailKind.SecurityNotice => Notice(mail, product),
            MailKind.EmailInUse => (
                $"Someone tried to use your email for another {product} account",
                $"Someone signed in to a {product} account asked to change its address to this one, which already has an account. Nothing changed.",
                "Forgot your password?",
                Base("forgot"),
                "You need not do anything. If you cannot sign in to your account, reset your password with the link."),
            _ => (
                $"Someone tried to sign up to {product} with your email",
                $"Someone tried to create a {product} account with this address, which already has one. Nothing changed.",
                "Forgot your password?",
                Base("forgot"),
                "If it was you, sign in instead, or reset your password with the link. If it was not you, ignore this mail."),
        };

        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(settings.From!));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        var body = new BodyBuilder
        {
            TextBody = $"{intro}\n\n{action}:\n{link}\n\n{outro}\n\n{product}\n",
            HtmlBody = $"""
                <!doctype html>
                <html><body style="font-family: sans-serif; line-height: 1.5">
                <p>{Html(intro)}</p>
                <p><a href="{Html(link)}">{Html(action)}</a></p>
                <p style="color: #555">Or paste this address into your browser:<br>{Html(link)}</p>
                <p style="color: #555">{Html(outro)}</p>
                <p>{Html(product)}</p>
                </body></html>
                """,
        };
        message.Body = body.ToMessageBody();
        return message;
    }

    /// <summary>A security notice: what happened and when; no link but the forgot-password page, never a token or code.</summary>
    private (string Subject, string Intro, string Action, string Link, string Outro) Notice(MailRequest mail, string product)
    {
        var at = mail.RequestedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
        var (subject, what) = mail.Notice switch
        {
            SecurityNotice.TotpEnabled => ($"Two-factor sign-in is on for your {product} account", "turned on two-factor sign-in with an authenticator app. Signing in now asks for a code after the password."),
            SecurityNotice.TotpDisabled => ($"Two-factor sign-in is off for your {product} account", "turned off two-factor sign-in. Signing in now needs the password only."),
            SecurityNotice.RecoveryCodesRegenerated => ($"New recovery codes for your {product} account", "made new recovery codes. The old ones no longer work."),
            SecurityNotice.RecoveryCodeUsed => (
                $"A recovery code was used to sign in to your {product} account",
                $"signed in with one of your recovery codes. {mail.RecoveryCodesLeft ?? 0} unused code{(mail.RecoveryCodesLeft == 1 ? "" : "s")} left; make new ones once you are signed in."),
            SecurityNotice.PasskeyAdded => (
                $"A passkey was added to your {product} account",
                "added a passkey, which signs in without the password. If it was not you, a password reset alone does not remove it: reset your password, sign in, and delete the passkey from your list of passkeys."),
            SecurityNotice.PasskeyRemoved => ($"A passkey was removed from your {product} account", "deleted one of your passkeys. It no longer signs in."),
            _ => ($"Your {product} password was changed", "changed your password. Every other session was signed out."),
        };
        return (
            subject,
            $"On {at}, someone signed in to your {product} account {what}",
            "Reset your password",
            Base("forgot"),
            "If this was you, nothing to do. If it was not, someone can sign in to your account: reset your password now with the link, which also signs out every session.");
    }

    private string Base(string page) => settings.LinkBaseUrl!.TrimEnd('/') + "/" + page;

    private string Link(string page, string token) => Base(page) + "?token=" + Uri.EscapeDataString(token);

    private static string Html(string text) => WebUtility.HtmlEncode(text);

    private static string Duration(TimeSpan span) =>
        span.TotalHours >= 1 && span.TotalMinutes % 60 == 0
            ? $"{span.TotalHours:0} hour{(span.TotalHours == 1 ? "" : "s")}"
            : $"{span.TotalMinutes:0} minutes";
}
