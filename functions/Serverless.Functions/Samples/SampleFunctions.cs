using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Samples;

namespace Serverless.Functions.Samples;

/// <summary>
/// The sample protected API (samples/Serverless.Samples) as functions: the same handlers as on the standalone host.
/// <c>[Authorize]</c> is enforced by the session middleware (Program.cs: <c>UseSessionAuthorization</c>), and the POST's
/// origin by <c>UseAllowedOriginCheck</c>; by the time a method runs, <see cref="HttpContext.User"/> is the session's user.
/// </summary>
[Authorize]
public sealed class SampleFunctions(NoteStore notes)
{
    [Function("Me")]
    public static IResult Me([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "me")] HttpRequest request) =>
        SampleApi.GetMe(request.HttpContext.User);

    [Function("MyNotes")]
    public async Task<IResult> MyNotes([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "me/notes")] HttpRequest request) =>
        await SampleApi.ListNotesAsync(request.HttpContext.User, notes, request.HttpContext.RequestAborted);

    [Function("AddMyNote")]
    public async Task<IResult> AddMyNote([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "me/notes")] HttpRequest request)
    {
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
