// An app of one's own that takes the packages (NuGetPackageTests restores them from the folder `dotnet pack` wrote,
// builds this and runs it). The "Use it as a library" snippet of docs/library.md is these lines.
using System.Security.Claims;
using Serverless.Auth;
using Serverless.Auth.Http;
using Serverless.Auth.Protection;

var builder = WebApplication.CreateBuilder(args);
builder.AddServerlessAuth();                 // settings under Auth__* (storage, issuer, audience, keys, mail)
builder.AddMailQueueSender();                // sends the queued mail from this app
builder.AddScheduledCleanup();               // expired sessions, tokens and throttling rows
var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();
app.MapAuthApi("/identity");                 // POST /identity/signup, /identity/login, ...
app.MapGet("/api/orders", (ClaimsPrincipal user) => TypedResults.Ok(new { owner = user.FindFirstValue(SessionAuthentication.SubjectClaim) }))
    .RequireAuthorization();
app.MapPost("/api/orders", () => TypedResults.Created())
    .RequireAuthorization()
    .RequireAllowedOrigin();
return app.RunOrRefuse();
