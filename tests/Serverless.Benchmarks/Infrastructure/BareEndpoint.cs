using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Serverless.Benchmarks.Infrastructure;

/// <summary>
/// <c>/bare</c> on the API's own in-process host (same pipeline, same CORS middleware): a plain endpoint
/// answering a fixed JSON body set by the caller.
/// </summary>
internal sealed class BareEndpoint
{
    private byte[] body = "{}"u8.ToArray();

    public void Map(WebApplication app) => app.MapGet(BareServer.Path, () => Results.Bytes(body, "application/json; charset=utf-8"));

    public void SetBody(byte[] value) => body = value;
}
