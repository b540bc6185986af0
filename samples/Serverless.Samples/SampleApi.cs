using System.Security.Claims;
using Azure;
using Azure.Data.Tables;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serverless.Auth;
using Serverless.Auth.Protection;
using Serverless.Auth.Storage;

namespace Serverless.Samples;

/// <summary>The signed-in user as the session says (no storage read).</summary>
public sealed record MeResponse(string UserId, string Email, bool EmailConfirmed, string SessionId);

/// <summary>One note of the signed-in user.</summary>
public sealed record NoteResponse(string Id, string Text, DateTimeOffset CreatedAt);

/// <summary>A new note: 1 to <see cref="NoteStore.MaxLength"/> characters.</summary>
public sealed record NoteRequest(string? Text);

/// <summary>
/// A small protected API to replace with your own: who am I, and my notes (stored per user in a table of the app's
/// own). Every route needs the session (<c>RequireAuthorization()</c>), and the POST also the origin check.
/// </summary>
public static class SampleApi
{
    /// <summary>The sample's services: the notes table (<c>Samples__NotesTable</c>, default <c>Notes</c>).</summary>
    public static IHostApplicationBuilder AddSampleApi(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(sp => new NoteStore(sp.GetRequiredService<AuthStorage>(), builder.Configuration["Samples:NotesTable"] ?? "Notes"));
        return builder;
    }

    public static RouteGroupBuilder MapSampleApi(this IEndpointRouteBuilder routes)
    {
        var me = routes.MapGroup("/api/me").WithTags("Sample protected API").RequireAuthorization();
        me.MapGet("", GetMe).WithName("Me").WithSummary("Who am I (a sample protected endpoint)")
            .WithDescription("The signed-in user from the session's access token, checked as verify checks it (revocation included), without a storage read.")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        me.MapGet("/notes", ListNotesAsync).WithName("MyNotes").WithSummary("My notes (sample)")
            .WithDescription("The signed-in user's notes, newest first (at most 50): one partition query of the app's own table.")
            .ProducesProblem(StatusCodes.Status401Unauthorized);
        me.MapPost("/notes", AddNoteAsync).WithName("AddMyNote").WithSummary("Add a note (sample)")
            .WithDescription("Stores a note for the signed-in user. A POST: the origin check applies (403 for a foreign origin).")
            .RequireAllowedOrigin()
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status403Forbidden);
        return me;
    }

    public static Ok<MeResponse> GetMe(ClaimsPrincipal user) =>
        TypedResults.Ok(new MeResponse(
            user.FindFirstValue(SessionAuthentication.SubjectClaim)!,
            user.FindFirstValue(SessionAuthentication.EmailClaim)!,
            user.FindFirstValue(SessionAuthentication.EmailVerifiedClaim) == "true",
            user.FindFirstValue(SessionAuthentication.SessionIdClaim)!));

    public static async Task<Ok<List<NoteResponse>>> ListNotesAsync(ClaimsPrincipal user, NoteStore notes, CancellationToken cancellationToken) =>
        TypedResults.Ok(await notes.ListAsync(user.FindFirstValue(SessionAuthentication.SubjectClaim)!, cancellationToken));

    public static async Task<Results<Created<NoteResponse>, ValidationProblem>> AddNoteAsync(
        ClaimsPrincipal user, NoteRequest body, NoteStore notes, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(body.Text) || body.Text.Length > NoteStore.MaxLength)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["text"] = [$"A note is 1 to {NoteStore.MaxLength} characters."] });
        }

        var note = await notes.AddAsync(user.FindFirstValue(SessionAuthentication.SubjectClaim)!, body.Text.Trim(), cancellationToken);
        return TypedResults.Created($"/api/me/notes/{note.Id}", note);
    }
}

/// <summary>
/// Notes, one partition per user (partition = user id, row = reverse time + random, so a partition query lists the
/// newest first). A user's query can only ever read their own partition: the id comes from the session, never the request.
/// </summary>
public sealed class NoteStore(AuthStorage storage, string tableName)
{
    public const int MaxLength = 500;
    private const int MaxListed = 50;
    private readonly TableClient table = storage.GetTableClient(tableName);
    private readonly Lazy<Task> created = new(() => storage.CreatesTables ? storage.GetTableClient(tableName).CreateIfNotExistsAsync() : Task.CompletedTask);

    public async Task<NoteResponse> AddAsync(string userId, string text, CancellationToken cancellationToken)
    {
        await created.Value;
        var now = DateTimeOffset.UtcNow;
        var id = $"{DateTimeOffset.MaxValue.UtcTicks - now.UtcTicks:D19}-{Guid.NewGuid():N}";
        await table.AddEntityAsync(new TableEntity(userId, id) { ["Text"] = text, ["CreatedAt"] = now }, cancellationToken);
        return new NoteResponse(id, text, now);
    }

    public async Task<List<NoteResponse>> ListAsync(string userId, CancellationToken cancellationToken)
    {
        await created.Value;
        var notes = new List<NoteResponse>();
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {userId}"), maxPerPage: MaxListed, cancellationToken: cancellationToken))
        {
            notes.Add(new NoteResponse(row.RowKey, row.GetString("Text") ?? "", row.GetDateTimeOffset("CreatedAt") ?? DateTimeOffset.UnixEpoch));
            if (notes.Count == MaxListed)
            {
                break;
            }
        }

        return notes;
    }
}
