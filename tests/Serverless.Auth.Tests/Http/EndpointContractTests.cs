using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Azure.Data.Tables;
using Serverless.Auth.Accounts;
using Serverless.Auth.Http;
using Serverless.Auth.Storage;
using Serverless.Auth.Tests.Infrastructure;
using Serverless.Testing;

namespace Serverless.Auth.Tests.Http;

/// <summary>Each endpoint's success and failure answers: status, problem body, headers, cookies.</summary>
public sealed class EndpointContractTests(SharedApi shared) : IClassFixture<SharedApi>
{
    private const string Password = "plum-orchard-lantern-4821";
    private readonly TestApi api = shared.Api;

    private Task<HttpResponseMessage> PostRawAsync(string path, string body, string contentType = "application/json")
    {
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return PostAsync(path, content);
    }

    private Task<HttpResponseMessage> PostAsync(string path, HttpContent? content) =>
        api.SendAsync(new HttpRequestMessage(HttpMethod.Post, path) { Content = content });

    [Fact]
    public async Task SignupWithoutFieldsListsEachMissingField()
    {
        var problem = await ResponseAssert.ProblemAsync(await PostRawAsync(AuthApi.Signup.Path, "{}"), HttpStatusCode.BadRequest);

        var errors = problem.GetProperty("errors");
        Assert.Equal("Email is required.", errors.GetProperty("email")[0].GetString());
        Assert.Equal("Password is required.", errors.GetProperty("password")[0].GetString());
    }

    [Theory]
    [InlineData("not-an-email")]
    [InlineData("two@@example.com")]
    [InlineData("Ann <ann@example.com>")]
    [InlineData("spaces in@example.com")]
    [InlineData("@example.com")]
    [InlineData("ann@")]
    public async Task SignupRejectsInvalidEmailWithFieldError(string email)
    {
        var problem = await ResponseAssert.ProblemAsync(await api.SignupAsync(email, Password), HttpStatusCode.BadRequest);

        Assert.Contains("valid email", problem.GetProperty("errors").GetProperty("email")[0].GetString(), StringComparison.Ordinal);
        Assert.False(problem.GetProperty("errors").TryGetProperty("password", out _));
    }

    [Fact]
    public async Task SignupRejectsEmailOver254Characters()
    {
        var email = new string('a', 64) + "@" + string.Join('.', Enumerable.Repeat(new string('b', 60), 4)) + ".com";
        Assert.True(email.Length > 254);

        var problem = await ResponseAssert.ProblemAsync(await api.SignupAsync(email, Password), HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("email", out _));
    }

    [Fact]
    public async Task SignupRejectsShortPasswordSayingTheMinimum()
    {
        var problem = await ResponseAssert.ProblemAsync(await api.SignupAsync("short@example.com", "fourteen chars"), HttpStatusCode.BadRequest);

        Assert.Equal("Password must be at least 15 characters.", problem.GetProperty("errors").GetProperty("password")[0].GetString());
    }

    [Fact]
    public async Task SecondSignupForTheSameEmailIsConflictWithoutCookie()
    {
        var email = Emails.Unique("twice");
        Assert.Equal(HttpStatusCode.Created, (await api.SignupAsync(email, Password)).StatusCode);

        var again = await api.SignupAsync(" " + email.ToUpperInvariant(), "another-long-passphrase-99");

        var problem = await ResponseAssert.ProblemAsync(again, HttpStatusCode.Conflict);
        Assert.Equal("The email address is already registered.", problem.GetProperty("title").GetString());
        Assert.False(again.Headers.Contains("Set-Cookie"));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("application/json; charset=iso-8859-1")]
    [InlineData("application/jsonx")]
    public async Task NonJsonContentTypesAreUnsupportedMediaType(string contentType)
    {
        foreach (var path in new[] { AuthApi.Signup.Path, AuthApi.Login.Path })
        {
            var problem = await ResponseAssert.ProblemAsync(await PostRawAsync(path, """{"email":"a@b.co","password":"x"}""", contentType), HttpStatusCode.UnsupportedMediaType);
            Assert.Contains("application/json", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task LogoutRefusesFormAndTextBodies(string contentType) =>
        await ResponseAssert.ProblemAsync(await PostRawAsync(AuthApi.Logout.Path, "x=1", contentType), HttpStatusCode.UnsupportedMediaType);

    [Fact]
    public async Task LogoutAcceptsNoBodyOrJson()
    {
        Assert.Equal(HttpStatusCode.NoContent, (await PostAsync(AuthApi.Logout.Path, null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await PostRawAsync(AuthApi.Logout.Path, "{}")).StatusCode);
    }

    [Fact]
    public async Task MissingContentTypeIsUnsupportedMediaType()
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"email":"a@b.co","password":"x"}"""));
        await ResponseAssert.ProblemAsync(await PostAsync(AuthApi.Login.Path, content), HttpStatusCode.UnsupportedMediaType);
    }

    [Theory]
    [InlineData("{")]
    [InlineData("""{"email": "a@b.co", "password": }""")]
    [InlineData("""{"email": 5, "password": "plum-orchard-lantern-4821"}""")]
    [InlineData("""{"email": "a@b.co", "password": ["x"]}""")]
    [InlineData("""{"email": "a@b.co", "password": {"x": 1}}""")]
    [InlineData("""["a@b.co", "plum-orchard-lantern-4821"]""")]
    [InlineData("null")]
    [InlineData("\"just a string\"")]
    [InlineData("""{"email": "a@b.co", "email": "c@d.co", "password": "plum-orchard-lantern-4821"}""")]
    [InlineData("")]
    public async Task MalformedBodiesAreBadRequest(string body)
    {
        foreach (var path in new[] { AuthApi.Signup.Path, AuthApi.Login.Path })
        {
            var problem = await ResponseAssert.ProblemAsync(await PostRawAsync(path, body), HttpStatusCode.BadRequest);
            Assert.DoesNotContain("plum-orchard", problem.GetRawText(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task InvalidUtf8IsBadRequest()
    {
        var content = new ByteArrayContent([.. "{\"email\":\"a@b.co\",\"password\":\""u8, 0xC3, 0x28, .. "aaaaaaaaaaaaaaaa\"}"u8]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        await ResponseAssert.ProblemAsync(await PostAsync(AuthApi.Signup.Path, content), HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task BodyOverTheLimitIsTooLarge()
    {
        var big = $$"""{"email":"big@example.com","password":"{{new string('x', JsonBody.MaxBytes)}}"}""";
        await ResponseAssert.ProblemAsync(await PostRawAsync(AuthApi.Signup.Path, big), HttpStatusCode.RequestEntityTooLarge);

        // Without Content-Length (chunked), the limit still holds while reading.
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(big)));
        chunked.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, AuthApi.Login.Path) { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await ResponseAssert.ProblemAsync(await api.SendAsync(request), HttpStatusCode.RequestEntityTooLarge);
    }

    /// <summary>Characters Table Storage forbids in keys ('/', '\', '#', '?') and other rare forms: each row is a real account.</summary>
    [Theory]
    [InlineData("slash/in/local@example.com")]
    [InlineData("hash#and?query@example.com")]
    [InlineData("plus+tag@sub.example.co.uk")]
    [InlineData("o'brien&co=1@example.com")]
    public async Task UnusualButValidEmailsWorkAsAccountKeys(string email)
    {
        var normalized = email.ToLowerInvariant();

        var signup = await ResponseAssert.JsonAsync(await api.SignupAsync(email, Password), HttpStatusCode.Created);

        // The identity under the encoded key points at the account row, which holds the address itself intact.
        var users = api.Service<AuthTables>().Users;
        var identity = await users.GetEntityAsync<TableEntity>(EmailAddress.StorageKey(normalized), "account", cancellationToken: TestContext.Current.CancellationToken);
        var userId = signup.GetProperty("userId").GetString();
        Assert.Equal(userId, identity.Value.GetString("AccountId"));
        var row = await users.GetEntityAsync<TableEntity>(userId, "user", cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(normalized, row.Value.GetString("Email"));
        var login = await ResponseAssert.JsonAsync(await api.LoginAsync(email, Password), HttpStatusCode.OK);
        Assert.Equal(normalized, login.GetProperty("email").GetString());
        await ResponseAssert.ProblemAsync(await api.SignupAsync(email, Password), HttpStatusCode.Conflict);
    }

    /// <summary>
    /// Refused as a field error, never a 5xx or a key error: a backslash outside quotes (not an address), and the
    /// RFC 5322 forms the product does not take (quoted local parts, IP-literal domains; see docs/security-model.md,
    /// "Email addresses"), each with its reason.
    /// </summary>
    [Theory]
    [InlineData("back\\slash@example.com", "valid email")]
    [InlineData("\"quoted local\"@example.com", "quoted")]
    [InlineData("\"back\\\\slash\"@example.com", "quoted")]
    [InlineData("\"back\\slash\"@example.com", "quoted")]
    [InlineData("user@[192.168.0.1]", "IP")]
    public async Task ExoticFormsTheProductRefusesAreFieldErrors(string email, string reason)
    {
        var problem = await ResponseAssert.ProblemAsync(await api.SignupAsync(email, Password), HttpStatusCode.BadRequest);

        Assert.Contains(reason, problem.GetProperty("errors").GetProperty("email")[0].GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task LoginFailureLooksTheSameForUnknownEmailAndWrongPassword()
    {
        var known = Emails.Unique("known");
        Assert.Equal(HttpStatusCode.Created, (await api.SignupAsync(known, Password)).StatusCode);

        var wrongPassword = await api.LoginAsync(known, Password + "x");
        var unknownEmail = await api.LoginAsync(Emails.Unique("unknown"), Password);

        var first = await ResponseAssert.ProblemAsync(wrongPassword, HttpStatusCode.Unauthorized);
        var second = await ResponseAssert.ProblemAsync(unknownEmail, HttpStatusCode.Unauthorized);
        Assert.Equal(first.GetRawText(), second.GetRawText());
        Assert.False(wrongPassword.Headers.Contains("Set-Cookie"));
        Assert.False(unknownEmail.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task LoginWithMissingPasswordIsValidationProblem()
    {
        var problem = await ResponseAssert.ProblemAsync(await PostRawAsync(AuthApi.Login.Path, """{"email":"a@b.co"}"""), HttpStatusCode.BadRequest);
        Assert.True(problem.GetProperty("errors").TryGetProperty("password", out _));
    }

    [Fact]
    public async Task VerifyWithoutTokenIsUnauthorizedWithChallenge()
    {
        var response = await api.VerifyAsync();

        var problem = await ResponseAssert.ProblemAsync(response, HttpStatusCode.Unauthorized);
        Assert.Equal("Not authenticated.", problem.GetProperty("title").GetString());
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
        Assert.False(response.Headers.Contains("Set-Cookie"));
    }

    [Fact]
    public async Task VerifyAcceptsBearerTokenAndDropsABadCookie()
    {
        var email = Emails.Unique("bearer");
        var signup = await api.SignupAsync(email, Password);
        var token = SetCookie.Access(signup).Value.ToString();

        var viaBearer = await ResponseAssert.JsonAsync(await api.VerifyAsync(bearer: token), HttpStatusCode.OK);
        Assert.Equal(email, viaBearer.GetProperty("email").GetString());

        var badCookie = await api.VerifyAsync("auth=not-a-token");
        await ResponseAssert.ProblemAsync(badCookie, HttpStatusCode.Unauthorized);
        Assert.StartsWith("auth=;", SetCookie.Raw(badCookie), StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuthorizationHeaderTakesPrecedenceOverTheCookie()
    {
        var secondEmail = Emails.Unique("second");
        var first = SetCookie.Access(await api.SignupAsync(Emails.Unique("first"), Password));
        var second = SetCookie.Access(await api.SignupAsync(secondEmail, Password));

        var both = await ResponseAssert.JsonAsync(await api.VerifyAsync($"auth={first.Value}", second.Value.ToString()), HttpStatusCode.OK);
        Assert.Equal(secondEmail, both.GetProperty("email").GetString());

        // An invalid header is not rescued by a valid cookie.
        await ResponseAssert.ProblemAsync(await api.VerifyAsync($"auth={first.Value}", "garbage"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task LogoutWithoutTokenStillClearsTheCookie()
    {
        var response = await api.LogoutAsync();

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        ResponseAssert.AssertNoStore(response);
        Assert.Equal("auth=; expires=Thu, 01 Jan 1970 00:00:00 GMT; max-age=0; path=/; samesite=lax; httponly", SetCookie.Raw(response));
    }

    [Fact]
    public async Task LogoutRevokesABearerToken()
    {
        var token = SetCookie.Access(await api.SignupAsync(Emails.Unique("bearer-logout"), Password)).Value.ToString();

        Assert.Equal(HttpStatusCode.NoContent, (await api.LogoutAsync(bearer: token)).StatusCode);

        await ResponseAssert.ProblemAsync(await api.VerifyAsync($"auth={token}"), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task WrongMethodsAreNotServed()
    {
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await api.SendAsync(new HttpRequestMessage(HttpMethod.Get, AuthApi.Login.Path))).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await PostAsync(AuthApi.Verify.Path, null)).StatusCode);
    }
}
