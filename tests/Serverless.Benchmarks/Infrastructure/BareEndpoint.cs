using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Serverless.Samples;

namespace Serverless.Benchmarks.Infrastructure;

/// <summary>
/// Unprotected endpoints on the API's own in-process host (same pipeline, same CORS middleware): <c>/bare</c> answers a
/// fixed JSON body set by the caller; <c>/bare/me</c> is the sample's <c>GET /api/me</c> handler itself, without the
/// scheme, over a user set by the caller (the protected endpoint's yardstick: the same work, minus the session check).
/// </summary>
internal sealed class BareEndpoint
{
    public const string MePath = BareServer.Path + "/me";

    private byte[] body = "{}"u8.ToArray();
    private ClaimsPrincipal user = new();

    public void Map(WebApplication app)
    {
        app.MapGet(BareServer.Path, () => Results.Bytes(body, "application/json; charset=utf-8"));
        app.MapGet(MePath, () => SampleApi.GetMe(user));
    }

    public void SetBody(byte[] value) => body = value;

    public void SetUser(ClaimsPrincipal value) => user = value;
}
