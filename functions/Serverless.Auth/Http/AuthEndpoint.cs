using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace Serverless.Auth.Http;

/// <summary>
/// One endpoint: its place in the route table (<see cref="AuthApi"/>: name, method, route) and its
/// declaration next to its handler (<see cref="EndpointDeclaration"/>). Both hosts use it:
/// Serverless.Standalone maps it (<see cref="AuthApi.MapAuthApi"/>), which also feeds the OpenAPI
/// document; each Azure Function (generated from the route table) calls <see cref="InvokeAsync"/>.
/// </summary>
public sealed class AuthEndpoint
{
    internal AuthEndpoint(string name, string method, string route, EndpointDeclaration declaration)
    {
        Name = name;
        Method = method;
        Route = route;
        Declaration = declaration;
    }

    /// <summary>Operation id and Azure Function name.</summary>
    public string Name { get; }

    /// <summary>The HTTP method.</summary>
    public string Method { get; }

    /// <summary>Relative to the auth base path (<see cref="AuthRoutes.DefaultBasePath"/>, or the one given to <see cref="AuthApi.MapAuthApi"/>).</summary>
    public string Route { get; }

    /// <summary>The Azure Function's route, relative to host.json's "api" prefix: the default base path, fixed at compile time.</summary>
    public string FunctionRoute => AuthRoutes.DefaultBasePath[(AuthRoutes.Prefix.Length + 2)..] + "/" + Route;

    /// <summary>The full path the browser calls under the default base path.</summary>
    public string Path => AuthRoutes.DefaultBasePath + "/" + Route;

    /// <summary>The one-line summary in the OpenAPI document.</summary>
    public string Summary => Declaration.Operation.Summary;

    /// <summary>Every problem status the endpoint can answer besides those its typed result union declares itself.</summary>
    public IReadOnlyList<int> ProblemStatuses => Declaration.ProblemStatuses(Method);

    internal EndpointDeclaration Declaration { get; }

    /// <summary>Runs the endpoint for an Azure Function (the worker executes the returned IResult).</summary>
    public Task<IResult> InvokeAsync(HttpContext context) => Declaration.InvokeAsync(this, context);
}

/// <summary>What an endpoint says about itself, as named properties; <see cref="EndpointChecks"/> acts on the checks.</summary>
internal sealed record Operation
{
    public required string Summary { get; init; }

    public required string Description { get; init; }

    /// <summary>A browser request must come from this or an allowed origin (CSRF; 403). Public documents and verify skip it.</summary>
    public bool ChecksOrigin { get; init; } = true;

    /// <summary>The per-client bucket the request draws from (429), if any.</summary>
    public Throttling.RateLimitedAction? RateLimit { get; init; }

    /// <summary>Only a signed-in caller gets past the checks (401 otherwise).</summary>
    public bool RequiresSession { get; init; }

    /// <summary>
    /// Problem statuses the handler answers itself, beyond what the checks and the result union already say
    /// (for example 409 for a taken address). The shared ones are added for every endpoint (see <see cref="EndpointDeclaration.ProblemStatuses"/>).
    /// </summary>
    public IReadOnlyList<int> Answers { get; init; } = [];

    /// <summary>
    /// An admin route: only a bearer token from the admin issuer with the admin role gets past the checks (401/403; 404
    /// when the admin API is off). Cookies are never read. Tagged Admin in the OpenAPI document, with its security scheme.
    /// </summary>
    public bool RequiresAdmin { get; init; }

    /// <summary>A top-level navigation the endpoint answers with a 302 (the social sign-in's start and callback).</summary>
    public bool Redirects { get; init; }

    /// <summary>The query parameters it reads (name, description), for the OpenAPI document.</summary>
    public IReadOnlyList<(string Name, string Description)> Query { get; init; } = [];
}

/// <summary>The request a handler gets once the declared checks passed: the body read and the caller authenticated, as declared.</summary>
internal sealed record EndpointRequest<TBody>(HttpContext Context, TBody Body, Tokens.TokenSubject? Caller, Admin.AdminCaller? AdminCaller = null)
{
    /// <summary>The admin calling an endpoint declared with <see cref="Operation.RequiresAdmin"/>.</summary>
    public Admin.AdminCaller Admin => AdminCaller ?? throw new InvalidOperationException("This endpoint is not an admin route.");

    /// <summary>The authenticated caller of an endpoint declared with <see cref="Operation.RequiresSession"/>.</summary>
    public Tokens.TokenSubject Subject => Caller ?? throw new InvalidOperationException("This endpoint does not require a session.");

    public CancellationToken Aborted => Context.RequestAborted;
}

/// <summary>The body type of an endpoint that reads none.</summary>
internal sealed record NoBody
{
    public static NoBody Instance { get; } = new();
}

/// <summary>A handler and its <see cref="Operation"/>, declared next to each other in the handler's file.</summary>
internal abstract class EndpointDeclaration
{
    private protected EndpointDeclaration(Operation operation) => Operation = operation;

    public Operation Operation { get; }

    /// <summary>The JSON body the endpoint reads, if any.</summary>
    public abstract Type? RequestBody { get; }

    /// <summary>Declares an endpoint; the handler class, body and result types are inferred from the lambda.</summary>
    public static EndpointDeclaration For<THandler, TBody, TResult>(Operation operation, Func<THandler, EndpointRequest<TBody>, Task<TResult>> handle)
        where THandler : notnull
        where TBody : class
        where TResult : IResult, IEndpointMetadataProvider =>
        new EndpointDeclaration<THandler, TBody, TResult>(operation, handle);

    /// <summary>
    /// The declared checks' statuses (403 origin, 429 rate limit, 400/413/415 body, 415 for a bodiless POST,
    /// 401 session), the handler's own <see cref="Operation.Answers"/>, and 503 (overload, storage), which every endpoint can answer.
    /// </summary>
    public IReadOnlyList<int> ProblemStatuses(string method)
    {
        var statuses = new SortedSet<int>(Operation.Answers) { StatusCodes.Status503ServiceUnavailable };
        if (RequestBody is not null)
        {
            statuses.UnionWith([StatusCodes.Status400BadRequest, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType]);
        }
        else if (method == HttpMethods.Post)
        {
            statuses.Add(StatusCodes.Status415UnsupportedMediaType);
        }

        if (Operation.ChecksOrigin)
        {
            statuses.Add(StatusCodes.Status403Forbidden);
        }

        if (Operation.RateLimit is not null)
        {
            statuses.Add(StatusCodes.Status429TooManyRequests);
        }

        if (Operation.RequiresSession)
        {
            statuses.Add(StatusCodes.Status401Unauthorized);
        }

        if (Operation.RequiresAdmin)
        {
            statuses.UnionWith([StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status404NotFound]);
        }

        return [.. statuses];
    }

    public abstract Task<IResult> InvokeAsync(AuthEndpoint endpoint, HttpContext context);

    internal abstract IEndpointConventionBuilder Map(AuthEndpoint endpoint, IEndpointRouteBuilder routes);

    /// <summary>Registers the handler class (a singleton: handlers hold no per-request state).</summary>
    internal abstract void AddHandler(IServiceCollection services);

    /// <summary>Builds the handler and everything it depends on (start-up warm-up).</summary>
    internal abstract void ResolveHandler(IServiceProvider services);
}

/// <summary>
/// An endpoint whose handler is a method of <typeparamref name="THandler"/> (a singleton) returning a
/// typed result union, which reaches the framework as declared, so its metadata describes the responses.
/// </summary>
internal sealed class EndpointDeclaration<THandler, TBody, TResult>(Operation operation, Func<THandler, EndpointRequest<TBody>, Task<TResult>> handle)
    : EndpointDeclaration(operation)
    where THandler : notnull
    where TBody : class
    where TResult : IResult, IEndpointMetadataProvider
{
    /// <summary>
    /// The body's JSON contract, looked up once when the route table is built (not per request), so a body type
    /// missing from <see cref="AuthJsonContext"/> stops the host at start-up; null for <see cref="NoBody"/>.
    /// </summary>
    private readonly JsonTypeInfo<TBody>? bodyType = typeof(TBody) == typeof(NoBody) ? null
        : AuthJsonContext.Default.GetTypeInfo(typeof(TBody)) as JsonTypeInfo<TBody>
            ?? throw new InvalidOperationException($"{typeof(TBody).Name} is not in AuthJsonContext: add [JsonSerializable(typeof({typeof(TBody).Name}))] to it (Http/Contracts.cs).");

    public override Type? RequestBody => bodyType is null ? null : typeof(TBody);

    public override Task<IResult> InvokeAsync(AuthEndpoint endpoint, HttpContext context) =>
        ResponseDefaults.RunAsync(context, async context =>
        {
            var checks = context.RequestServices.GetRequiredService<EndpointChecks>();
            var (request, refused) = await checks.RunAsync(context, Operation, endpoint.Method, bodyType);
            return refused ?? (IResult)await handle(context.RequestServices.GetRequiredService<THandler>(), request!);
        });

    internal override void AddHandler(IServiceCollection services) => services.AddSingleton(typeof(THandler));

    internal override void ResolveHandler(IServiceProvider services) => services.GetRequiredService<THandler>();

    /// <summary>
    /// Never called: the method the OpenAPI document reads (its typed result union; an HttpContext parameter
    /// is not a documented input). The handler lambda's own parameters (handler, request) are no API inputs.
    /// </summary>
    private static Task<TResult> Describe(HttpContext context) => throw new NotSupportedException();

    internal override IEndpointConventionBuilder Map(AuthEndpoint endpoint, IEndpointRouteBuilder routes)
    {
        // Mapped as a plain RequestDelegate, so routing does not build one per endpoint with
        // RequestDelegateFactory (compiled expression trees: about 50 ms of a cold start for all of them).
        // The metadata that factory would infer is added here: the handler method, which the OpenAPI
        // document reads, and the responses of the typed result union.
        var handler = ((Func<HttpContext, Task<TResult>>)Describe).Method;
        var builder = routes.MapMethods(endpoint.Route, [endpoint.Method], async context => await (await endpoint.InvokeAsync(context)).ExecuteAsync(context))
            .WithMetadata(handler)
            .WithName(endpoint.Name)
            .WithTags(Operation.RequiresAdmin ? AuthApiDocument.AdminTag : AuthApiDocument.AuthTag)
            .WithSummary(Operation.Summary)
            .WithDescription(Operation.Description);
        builder.Add(built => TResult.PopulateMetadata(handler, built));
        if (RequestBody is { } body)
        {
            // Documented only: routing's content-type matching (Accepts) would answer 415 before the
            // origin check runs, so the checks keep answering a wrong Content-Type themselves.
            builder.AddOpenApiOperationTransformer(async (operation, context, cancellationToken) =>
                operation.RequestBody = new OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, OpenApiMediaType>
                    {
                        ["application/json"] = new() { Schema = await context.GetOrCreateSchemaAsync(body, null, cancellationToken) },
                    },
                });
        }

        var pathParameters = endpoint.Route.Split('/').Where(segment => segment.StartsWith('{')).Select(segment => segment.Trim('{', '}')).ToArray();
        if (pathParameters.Length > 0 || Operation.Query.Count > 0)
        {
            // Documented only, like the body: the handlers read the path and query themselves, the same way in both hosts.
            builder.AddOpenApiOperationTransformer((operation, _, _) =>
            {
                operation.Parameters ??= [];
                foreach (var name in pathParameters)
                {
                    operation.Parameters.Add(new OpenApiParameter { Name = name, In = ParameterLocation.Path, Required = true, Schema = new OpenApiSchema { Type = JsonSchemaType.String } });
                }

                foreach (var (name, description) in Operation.Query)
                {
                    operation.Parameters.Add(new OpenApiParameter { Name = name, In = ParameterLocation.Query, Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } });
                }

                return Task.CompletedTask;
            });
        }

        if (Operation.RequiresAdmin)
        {
            builder.AddOpenApiOperationTransformer((operation, context, _) =>
            {
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(AuthApiDocument.AdminScheme, context.Document)] = [] });
                return Task.CompletedTask;
            });
        }

        if (Operation.Redirects)
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status302Found, typeof(void)));
        }

        foreach (var status in endpoint.ProblemStatuses)
        {
            // A 400 may say what is wrong per field (errors); every other problem is plain.
            _ = status == StatusCodes.Status400BadRequest ? builder.ProducesValidationProblem() : builder.ProducesProblem(status);
        }

        return builder;
    }
}
