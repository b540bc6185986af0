using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Auth.Protection;
using Serverless.Samples;

namespace Serverless.Functions.Samples;

/// <summary>
/// The sample protected API (samples/Serverless.Samples) as functions: the same handlers as on the standalone host,
/// each behind <see cref="SessionAuthentication.AuthorizeAsync"/> (the session; for the POST also the origin check).
/// </summary>
public sealed class SampleFunctions(NoteStore notes)
{
    [Function("Me")]
    public static async Task<IResult> Me([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "me")] HttpRequest request) =>
        await SessionAuthentication.AuthorizeAsync(request.HttpContext) ? SampleApi.GetMe(request.HttpContext.User) : Results.Empty;

    [Function("MyNotes")]
    public async Task<IResult> MyNotes([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "me/notes")] HttpRequest request) =>
        await SessionAuthentication.AuthorizeAsync(request.HttpContext)
            ? await SampleApi.ListNotesAsync(request.HttpContext.User, notes, request.HttpContext.RequestAborted)
            : Results.Empty;

    [Function("AddMyNote")]
    public async Task<IResult> AddMyNote([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "me/notes")] HttpRequest request)
    {
        if (SessionAuthentication.RefuseForeignOrigin(request.HttpContext) is { } foreign)
        {
            return foreign;
        }

        if (!await SessionAuthentication.AuthorizeAsync(request.HttpContext))
        {
            return Results.Empty;
        }

        NoteRequest? body;
        try
        {
            body = await request.ReadFromJsonAsync<NoteRequest>(request.HttpContext.RequestAborted);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "The request body is not a JSON note.", detail: "Send {\"text\": \"…\"} as application/json.");
        }

        return await SampleApi.AddNoteAsync(request.HttpContext.User, body ?? new NoteRequest(null), notes, request.HttpContext.RequestAborted);
    }
}
