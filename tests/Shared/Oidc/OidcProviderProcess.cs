using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Serverless.Testing;

/// <summary>
/// A real OpenID Provider for the social sign-in tests: the npm package oidc-provider (from the repo's node_modules) run
/// by <c>tests/Shared/Oidc/provider.mjs</c> on a loopback port it binds itself (port 0: no race for a free port), with one
/// registered confidential client (client_secret_post), PKCE S256 required, and its development login pages, which
/// <see cref="SignInAsync"/> drives with plain HTTP. Any login name signs in with any password: the login is the
/// subject, the email is the login when it has an '@' (else <c>login@example.test</c>), and <c>email_verified</c> is
/// false when the login starts with "unverified". Email claims are in the ID token (<c>conformIdTokenClaims: false</c>).
/// </summary>
public sealed partial class OidcProviderProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder errors;

    private OidcProviderProcess(Process process, StringBuilder errors, string authority, string clientId, string clientSecret, IReadOnlyList<string> redirectUris)
    {
        (this.process, this.errors) = (process, errors);
        (Authority, ClientId, ClientSecret, RedirectUris) = (authority, clientId, clientSecret, redirectUris);
    }

    /// <summary>The issuer, <c>http://127.0.0.1:port</c> (no trailing slash): discovery is at <c>/.well-known/openid-configuration</c>.</summary>
    public string Authority { get; }

    public string ClientId { get; }

    public string ClientSecret { get; }

    public IReadOnlyList<string> RedirectUris { get; }

    /// <summary>What the provider wrote on stderr so far (its errors): for a failing test's message.</summary>
    public string Errors
    {
        get
        {
            lock (errors)
            {
                return errors.ToString();
            }
        }
    }

    /// <summary>
    /// Starts the provider with one client. The client is registered as a native application, so a loopback redirect
    /// URI (<c>http://127.0.0.1/...</c>, <c>http://localhost/...</c>) matches on any port (RFC 8252, 7.3): register
    /// <c>http://127.0.0.1/api/auth/oidc/test/callback</c> before the API has its port. Other redirect URIs match exactly.
    /// With <paramref name="autoConsent"/> (the default) a sign-in is granted what the client asks without a consent
    /// page, as a first-party client would be; without it the consent page shows and <see cref="SignInAsync"/> submits it.
    /// </summary>
    public static async Task<OidcProviderProcess> StartNewAsync(
        string clientId,
        string clientSecret,
        IReadOnlyList<string> redirectUris,
        bool autoConsent = true,
        CancellationToken cancellationToken = default)
    {
        var package = RepoPaths.Combine("node_modules", "oidc-provider", "package.json");
        if (!File.Exists(package))
        {
            throw new InvalidOperationException($"{package} is missing: run 'npm ci' in the repository root (the README test command does).");
        }

        var config = JsonSerializer.Serialize(new
        {
            clients = new[] { new { client_id = clientId, client_secret = clientSecret, redirect_uris = redirectUris } },
            autoConsent,
        });
        var start = new ProcessStartInfo("node")
        {
            ArgumentList = { RepoPaths.Combine("tests", "Shared", "Oidc", "provider.mjs"), "0" },
            Environment = { ["OIDC_PROVIDER_CONFIG"] = config },
            // The provider exits when its stdin closes: it does not outlive this process, however this one ends.
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        var errors = new StringBuilder();
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var process = Process.Start(start) ?? throw new InvalidOperationException("node did not start.");
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.StartsWith("listening ", StringComparison.Ordinal) == true)
            {
                listening.TrySetResult(e.Data["listening ".Length..]);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (errors)
                {
                    errors.AppendLine(e.Data);
                }
            }
        };
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => listening.TrySetException(new InvalidOperationException("it exited before it listened."));
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            var authority = await listening.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            return new OidcProviderProcess(process, errors, authority, clientId, clientSecret, redirectUris);
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException)
        {
            await StopAsync(process);
            lock (errors)
            {
                throw new InvalidOperationException($"The OIDC provider did not start: {e.Message}\n{errors}", e);
            }
        }
        catch
        {
            await StopAsync(process);
            throw;
        }
    }

    /// <summary>
    /// Signs in as <paramref name="login"/> (any password) in a fresh user agent (its own cookies: no provider session
    /// from before): requests <paramref name="authorizeUrl"/> (the provider's authorization endpoint with the client's
    /// parameters, as the API's start redirect gives it), follows the provider's redirects, submits its login page and,
    /// when it shows, its consent page, and returns the redirect that leaves the provider: the redirect URI with
    /// <c>code</c>, <c>state</c> and <c>iss</c>, not requested. A provider error page throws.
    /// </summary>
    public Task<Uri> SignInAsync(Uri authorizeUrl, string login, CancellationToken cancellationToken = default) =>
        InteractAsync(authorizeUrl, page => page.Prompt switch
        {
            "login" => page.Submit(("prompt", "login"), ("login", login), ("password", "any password")),
            "consent" => page.Submit(("prompt", "consent")),
            _ => throw new InvalidOperationException($"The OIDC provider asks for '{page.Prompt}', which the sign-in driver does not know."),
        }, cancellationToken);

    /// <summary>Cancels at the provider's first page (its "[ Cancel ]" link): returns the redirect URI with <c>error=access_denied</c> and <c>state</c>.</summary>
    public Task<Uri> DenyAsync(Uri authorizeUrl, CancellationToken cancellationToken = default) =>
        InteractAsync(authorizeUrl, page => new HttpRequestMessage(HttpMethod.Get, page.AbortUrl), cancellationToken);

    private async Task<Uri> InteractAsync(Uri authorizeUrl, Func<InteractionPage, HttpRequestMessage> answer, CancellationToken cancellationToken)
    {
        var provider = new Uri(Authority);
        if (Uri.Compare(authorizeUrl, provider, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) != 0)
        {
            throw new ArgumentException($"{authorizeUrl} is not on the provider {Authority}.", nameof(authorizeUrl));
        }

        using var http = new HttpClient(new SocketsHttpHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false });
        var next = new HttpRequestMessage(HttpMethod.Get, authorizeUrl);
        for (var step = 0; step < 20; step++)
        {
            using var request = next;
            using var response = await http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (response.Headers.Location is { } location)
            {
                var target = new Uri(request.RequestUri!, location);
                if (Uri.Compare(target, provider, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) != 0)
                {
                    return target;
                }

                next = new HttpRequestMessage(HttpMethod.Get, target);
            }
            else if (response.StatusCode == HttpStatusCode.OK && InteractionPage.Parse(request.RequestUri!, body) is { } page)
            {
                next = answer(page);
            }
            else
            {
                throw new InvalidOperationException(
                    $"The OIDC provider answered {request.RequestUri} with {(int)response.StatusCode}: {PageText(body)}\n{Errors}");
            }
        }

        throw new InvalidOperationException($"The OIDC provider did not redirect away from itself within 20 steps from {authorizeUrl}.");
    }

    /// <summary>An error page's text, without markup (oidc-provider's error pages name the error and its description).</summary>
    private static string PageText(string html) =>
        WebUtility.HtmlDecode(Whitespace().Replace(Markup().Replace(StyleOrScript().Replace(html, " "), " "), " ")).Trim();

    public async ValueTask DisposeAsync() => await StopAsync(process);

    private static async Task StopAsync(Process process)
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
    }

    [GeneratedRegex("<(style|script)[^>]*>.*?</\\1>", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex StyleOrScript();

    [GeneratedRegex("<[^>]+>")]
    private static partial Regex Markup();

    [GeneratedRegex("\\s+")]
    private static partial Regex Whitespace();

    /// <summary>One of the dev interaction pages: its form (login or consent) and its cancel link.</summary>
    private sealed partial record InteractionPage(string Prompt, Uri SubmitUrl, Uri AbortUrl)
    {
        public static InteractionPage? Parse(Uri address, string html)
        {
            var form = FormAction().Match(html);
            var prompt = PromptInput().Match(html);
            var abort = AbortLink().Match(html);
            return form.Success && prompt.Success && abort.Success
                ? new InteractionPage(
                    WebUtility.HtmlDecode(prompt.Groups[1].Value),
                    new Uri(address, WebUtility.HtmlDecode(form.Groups[1].Value)),
                    new Uri(address, WebUtility.HtmlDecode(abort.Groups[1].Value)))
                : null;
        }

        public HttpRequestMessage Submit(params (string Name, string Value)[] fields) =>
            new(HttpMethod.Post, SubmitUrl)
            {
                Content = new FormUrlEncodedContent(fields.Select(f => KeyValuePair.Create(f.Name, f.Value))),
            };

        [GeneratedRegex("<form[^>]*\\baction=\"([^\"]*)\"[^>]*method=\"post\"", RegexOptions.IgnoreCase)]
        private static partial Regex FormAction();

        [GeneratedRegex("<input type=\"hidden\" name=\"prompt\" value=\"([^\"]*)\"")]
        private static partial Regex PromptInput();

        [GeneratedRegex("<a href=\"([^\"]*)\">\\[ Cancel \\]</a>")]
        private static partial Regex AbortLink();
    }
}
