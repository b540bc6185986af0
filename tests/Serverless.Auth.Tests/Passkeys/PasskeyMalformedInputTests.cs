using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Auth.Tests.Sessions;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Passkeys;

/// <summary>
/// Malformed passkey answers (wrong JSON types, bad base64url, broken CBOR, oversized bodies, and a few hundred seeded
/// byte mutations of genuine answers) are clear 4xx problems, never a 500, and never a session.
/// </summary>
public sealed class PasskeyMalformedInputTests(SharedApi shared) : IClassFixture<SharedApi>
{
    private const string Password = "saffron-glacier-tundra-7410";
    private static readonly HttpStatusCode[] Refusals = [HttpStatusCode.BadRequest, HttpStatusCode.Unauthorized, HttpStatusCode.Conflict];

    private async Task<(SessionClient Session, SoftwareAuthenticator Authenticator)> MemberWithPasskeyAsync(string name)
    {
        var session = new SessionClient(shared.Api.Client);
        await session.SignUpForUserIdAsync(Emails.Unique(name), Password);
        var authenticator = new SoftwareAuthenticator(TestApi.Frontend, "localhost");
        await ResponseAssert.JsonAsync(
            await session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegister.Path, new { credential = authenticator.Register(await RegisterOptionsAsync(session)) }), HttpStatusCode.OK);
        return (session, authenticator);
    }

    private static async Task<JsonElement> RegisterOptionsAsync(SessionClient session) =>
        await ResponseAssert.JsonAsync(await session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegisterOptions.Path, new { password = Password }), HttpStatusCode.OK);

    private async Task<HttpResponseMessage> PostRawAsync(SessionClient session, string path, string json)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("Cookie", string.Join("; ", session.Cookies.Select(c => $"{c.Key}={c.Value}")));
        return await shared.Api.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static TheoryData<string, string> MalformedRegistrations => new()
    {
        { """{"credential":"not an object"}""", "credential" },
        { """{"credential":{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":12}}}""", "clientDataJSON" },
        { """{"credential":{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"AA","transports":"usb"}}}""", "transports" },
        { """{"credential":null}""", "credential" },
        { """{"credential":{"id":"A!A","rawId":"A!A","type":"public-key","response":{"clientDataJSON":"AA","attestationObject":"AA"}}}""", "base64url" },
        { """{"credential":{"id":"AAAA","rawId":"AAAB","type":"public-key","response":{"clientDataJSON":"AA","attestationObject":"AA"}}}""", "id equal to rawId" },
        { """{"credential":{"id":"AA","rawId":"AA","type":"password","response":{"clientDataJSON":"AA","attestationObject":"AA"}}}""", "public-key" },
        { """{"credential":{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"AA"}}}""", "attestationObject" },
        { """{"credential":{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"bm90IGpzb24","attestationObject":"oWNmbXQ"}}}""", "credential" },
        { """{"credential":{"id":"AA","rawId":"AA","type":"public-key","response":{"clientDataJSON":"AA","attestationObject":"AA"}},"name":7}""", "name" },
    };

    [Theory]
    [MemberData(nameof(MalformedRegistrations))]
    public async Task AMalformedRegistrationIsA400NamingWhatIsWrong(string body, string mentioned)
    {
        var session = new SessionClient(shared.Api.Client);
        await session.SignUpForUserIdAsync(Emails.Unique("passkey-malformed"), Password);
        await RegisterOptionsAsync(session);

        var response = await PostRawAsync(session, AuthApi.PasskeyRegister.Path, body);
        var problem = await ResponseAssert.ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Contains(mentioned, problem.ToString(), StringComparison.OrdinalIgnoreCase);
        var list = await ResponseAssert.JsonAsync(await session.SendAsync(HttpMethod.Get, AuthApi.Passkeys.Path), HttpStatusCode.OK);
        Assert.Empty(list.GetProperty("passkeys").EnumerateArray());
    }

    [Fact]
    public async Task AnOversizedAnswerIsRefusedBeforeItIsRead()
    {
        var visitor = new SessionClient(shared.Api.Client);
        await visitor.SendAsync(HttpMethod.Post, AuthApi.PasskeyLoginOptions.Path);
        var huge = new string('A', 20_000);
        var body = JsonSerializer.Serialize(new { credential = new { id = huge, rawId = huge, type = "public-key", response = new { clientDataJSON = "AA" } } });
        var response = await PostRawAsync(visitor, AuthApi.PasskeyLogin.Path, body);
        await ResponseAssert.ProblemAsync(response, HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task SeededMutationsOfGenuineRegistrationsNeverFail500()
    {
        var session = new SessionClient(shared.Api.Client);
        await session.SignUpForUserIdAsync(Emails.Unique("passkey-fuzz-reg"), Password);
        var random = new Random(2029);
        var options = await RegisterOptionsAsync(session);
        for (var i = 0; i < 120; i++)
        {
            using var authenticator = new SoftwareAuthenticator(TestApi.Frontend, "localhost");
            var credential = authenticator.Register(options);
            var field = (i % 3) switch { 0 => "attestationObject", 1 => "clientDataJSON", _ => "attestationObject" };
            Mutate(credential["response"]!.AsObject(), field, random);
            var response = await session.SendAsync(HttpMethod.Post, AuthApi.PasskeyRegister.Path, new { credential });
            if (response.StatusCode == HttpStatusCode.OK)
            {
                // A mutation the checks cannot tell from a genuine answer (a flipped bit of the new key itself): the options are spent.
                options = await RegisterOptionsAsync(session);
                continue;
            }

            Assert.True(response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Conflict, $"mutation {i} of {field}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task SeededMutationsOfGenuineAssertionsNeverFail500NorSignIn()
    {
        var (_, authenticator) = await MemberWithPasskeyAsync("passkey-fuzz-login");
        using var _ = authenticator;
        var random = new Random(2930);
        string[] fields = ["authenticatorData", "signature", "clientDataJSON", "userHandle"];
        for (var i = 0; i < 160; i++)
        {
            var visitor = new SessionClient(shared.Api.Client);
            var options = await ResponseAssert.JsonAsync(await visitor.SendAsync(HttpMethod.Post, AuthApi.PasskeyLoginOptions.Path), HttpStatusCode.OK);
            var credential = authenticator.Assert(options);
            var field = fields[i % fields.Length];
            Mutate(credential["response"]!.AsObject(), field, random);
            var response = await visitor.SendAsync(HttpMethod.Post, AuthApi.PasskeyLogin.Path, new { credential });
            Assert.True(Refusals.Contains(response.StatusCode), $"mutation {i} of {field}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
            Assert.Null(visitor.Access);
        }
    }

    [Fact]
    public async Task AGenuineSignatureWithBytesAfterItIsRefused()
    {
        var (_, authenticator) = await MemberWithPasskeyAsync("passkey-trailing");
        using var _ = authenticator;
        var visitor = new SessionClient(shared.Api.Client);
        var credential = authenticator.Assert(await ResponseAssert.JsonAsync(await visitor.SendAsync(HttpMethod.Post, AuthApi.PasskeyLoginOptions.Path), HttpStatusCode.OK));
        var response = credential["response"]!.AsObject();
        response["signature"] = response["signature"]!.GetValue<string>() + "AAAA";

        var refused = await ResponseAssert.ProblemAsync(await visitor.SendAsync(HttpMethod.Post, AuthApi.PasskeyLogin.Path, new { credential }), HttpStatusCode.Unauthorized);
        Assert.Equal("The signature does not verify.", refused.GetProperty("detail").GetString());
        Assert.Null(visitor.Access);
    }

    /// <summary>Flips, truncates, extends or empties the base64url field's bytes (one of them, seeded).</summary>
    private static void Mutate(JsonObject response, string field, Random random)
    {
        var bytes = Convert.FromBase64String(Base64(response[field]!.GetValue<string>())).ToList();
        switch (random.Next(5))
        {
            case 0 when bytes.Count > 0:
                bytes[random.Next(bytes.Count)] ^= (byte)(1 << random.Next(8));
                break;
            case 1 when bytes.Count > 1:
                var keep = random.Next(1, bytes.Count);
                bytes.RemoveRange(keep, bytes.Count - keep);
                break;
            case 2:
                bytes.AddRange(Enumerable.Range(0, random.Next(1, 40)).Select(_ => (byte)random.Next(256)));
                break;
            case 3 when bytes.Count > 0:
                bytes[random.Next(bytes.Count)] = (byte)random.Next(256);
                bytes[random.Next(bytes.Count)] = 0xff;
                break;
            default:
                bytes = [0xa1, 0x63, 0x66, 0x6d, 0x74];
                break;
        }

        response[field] = Convert.ToBase64String([.. bytes]).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    private static string Base64(string base64Url) => base64Url.Replace('-', '+').Replace('_', '/') + new string('=', (4 - (base64Url.Length % 4)) % 4);
}
