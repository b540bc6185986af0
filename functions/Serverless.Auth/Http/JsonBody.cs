using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Net.Http.Headers;

namespace Serverless.Auth.Http;

/// <summary>Reads a small JSON body, answering every way it can be wrong with a 4xx problem.</summary>
internal static class JsonBody
{
    public const int MaxBytes = 16 * 1024;

    public static bool IsJson(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
        && mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        && (mediaType.Charset.Length == 0 || mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// For bodiless POSTs (logout): no Content-Type at all, or JSON. HTML forms and text/plain always
    /// carry a Content-Type, so cross-site "simple" requests are refused.
    /// </summary>
    public static bool IsJsonOrAbsent(HttpRequest request) =>
        (string.IsNullOrEmpty(request.ContentType) && request.ContentLength is null or 0) || IsJson(request);

    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> typeInfo)
        where T : class
    {
        if (!IsJson(request))
        {
            return (null, Problems.UnsupportedMediaType());
        }

        if (request.ContentLength > MaxBytes)
        {
            return (null, Problems.TooLarge(MaxBytes));
        }

        var buffer = ArrayPool<byte>.Shared.Rent(MaxBytes + 1);
        try
        {
            var length = 0;
            int read;
            // Read at most one byte past the limit: enough to know it is too large, never more.
            while (length <= MaxBytes && (read = await request.Body.ReadAsync(buffer.AsMemory(length, MaxBytes + 1 - length), request.HttpContext.RequestAborted)) > 0)
            {
                length += read;
            }

            if (length > MaxBytes)
            {
                return (null, Problems.TooLarge(MaxBytes));
            }

            if (length == 0)
            {
                return (null, Problems.BadRequest("The request body is empty: send a JSON object."));
            }

            var value = JsonSerializer.Deserialize(buffer.AsSpan(0, length), typeInfo);
            return value is null
                ? (null, Problems.BadRequest("The request body must be a JSON object."))
                : (value, null);
        }
        catch (JsonException e)
        {
            // The path and position help the caller; the message never echoes the submitted values.
            return (null, Problems.BadRequest($"The request body is not valid JSON for this endpoint (at {e.Path ?? "$"}, line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})."));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }
}
