using System.Net;
using System.Text.Json.Nodes;
using Serverless.Auth.Http;
using Serverless.Auth.Tests.Infrastructure;

namespace Serverless.Auth.Tests.Http;

/// <summary>
/// The OpenAPI document and the Scalar page are served only with <c>ApiReference__Enabled=true</c> (a deployment
/// does not advertise its API by default), and the page's introduction describes the API as it is today.
/// </summary>
public sealed class ApiReferenceTests(AzuriteFixture azurite)
{
    [Theory]
    [InlineData(AuthApiDocument.Path)]
    [InlineData("/scalar")]
    public async Task NeitherTheDocumentNorThePageIsServedByDefault(string path)
    {
        await using var api = await azurite.StartApiAsync();

        using var response = await api.Client.GetAsync(path, TestContext.Current.CancellationToken);

        await ResponseAssert.ProblemAsync(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task WhenEnabledBothAreServedAndTheIntroductionDescribesTodaysApi()
    {
        await using var api = await azurite.StartApiAsync(s => s["ApiReference:Enabled"] = "true");

        // The reference page redirects to its canonical path: followed here, as a browser would (the API's own client does not).
        using var browser = new HttpClient { BaseAddress = api.BaseAddress };
        using var page = await browser.GetAsync("/scalar", TestContext.Current.CancellationToken);
        using var document = await api.Client.GetAsync(AuthApiDocument.Path, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, document.StatusCode);
        var introduction = JsonNode.Parse(await document.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!["info"]!["description"]!.GetValue<string>();
        Assert.All(
            ["signup, login, verify and logout", "refresh with rotation and reuse detection", "a session list", "signing out everywhere",
             "password change and account deletion", "email confirmation and password reset by mail", "(JWKS) and discovery document"],
            part => Assert.Contains(part, introduction, StringComparison.Ordinal));
    }
}
