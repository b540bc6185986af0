using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace Serverless.Auth.Http;

/// <summary>
/// One endpoint, declared once: HTTP method, route, name, summary, the request body it reads and the
/// problem statuses it can answer. Both hosts use the declaration: Serverless.Standalone maps it
/// (<see cref="AuthApi.MapAuthApi"/>), which also feeds the OpenAPI document; each Azure Function
/// calls <see cref="InvokeAsync"/>.
/// </summary>
public abstract class AuthEndpoint
{
    private protected AuthEndpoint(string name, string method, string route, string summary, string description, Type? requestBody, int[] problemStatuses)
    {
        Name = name;
        Method = method;
        Route = route;
        Summary = summary;
        Description = description;
        RequestBody = requestBody;
        ProblemStatuses = problemStatuses;
    }

    /// <summary>Operation id and Azure Function name.</summary>
    public string Name { get; }

    public string Method { get; }

    /// <summary>Relative to the "api" prefix, as Functions routes are (see <see cref="AuthRoutes"/>).</summary>
    public string Route { get; }

    /// <summary>The full path the browser calls.</summary>
    public string Path => "/" + AuthRoutes.Prefix + "/" + Route;

    public string Summary { get; }

    public string Description { get; }

    /// <summary>The JSON body the endpoint reads, if any (read by the handler, so that every malformed body is a 4xx problem).</summary>
    public Type? RequestBody { get; }

    /// <summary>Every problem status besides those the typed result union declares itself.</summary>
    public IReadOnlyList<int> ProblemStatuses { get; }

    /// <summary>Runs the endpoint for an Azure Function (the worker executes the returned IResult).</summary>
    public abstract Task<IResult> InvokeAsync(HttpContext context);

    internal abstract IEndpointConventionBuilder Map(IEndpointRouteBuilder routes);

    /// <summary>Registers the handler class (a singleton: handlers hold no per-request state).</summary>
    internal abstract void AddHandler(IServiceCollection services);

    /// <summary>Builds the handler and everything it depends on (start-up warm-up).</summary>
    internal abstract void ResolveHandler(IServiceProvider services);
}

/// <summary>Declares endpoints; the handler's types are inferred from its lambda.</summary>
internal static class Declare
{
    public static AuthEndpoint Get<THandler, TResult>(string name, string route, string summary, string description, Func<THandler, HttpContext, Task<TResult>> handle, params int[] problemStatuses)
        where THandler : notnull
        where TResult : IResult, IEndpointMetadataProvider =>
        new AuthEndpoint<THandler, TResult>(name, HttpMethods.Get, route, summary, description, handle, requestBody: null, problemStatuses);

    public static AuthEndpoint Post<THandler, TResult>(string name, string route, string summary, string description, Func<THandler, HttpContext, Task<TResult>> handle, Type? requestBody, params int[] problemStatuses)
        where THandler : notnull
        where TResult : IResult, IEndpointMetadataProvider =>
        new AuthEndpoint<THandler, TResult>(name, HttpMethods.Post, route, summary, description, handle, requestBody, problemStatuses);
}

/// <summary>
/// An endpoint whose handler is a method of <typeparamref name="THandler"/> (a singleton) returning a
/// typed result union, which reaches the framework as declared, so its metadata describes the responses.
/// </summary>
internal sealed class AuthEndpoint<THandler, TResult>(
    string name,
    string method,
    string route,
    string summary,
    string description,
    Func<THandler, HttpContext, Task<TResult>> handle,
    Type? requestBody,
    int[] problemStatuses)
    : AuthEndpoint(name, method, route, summary, description, requestBody, problemStatuses)
    where THandler : notnull
    where TResult : IResult, IEndpointMetadataProvider
{
    private readonly Func<HttpContext, Task<TResult>> handleAsync = context => handle(context.RequestServices.GetRequiredService<THandler>(), context);

    public Task<TResult> HandleAsync(HttpContext context) => handleAsync(context);

    public override Task<IResult> InvokeAsync(HttpContext context) => ResponseGuard.RunAsync(context, handleAsync);

    internal override void AddHandler(IServiceCollection services) => services.AddSingleton(typeof(THandler));

    internal override void ResolveHandler(IServiceProvider services) => services.GetRequiredService<THandler>();

    internal override IEndpointConventionBuilder Map(IEndpointRouteBuilder routes)
    {
        // Mapped as a plain RequestDelegate, so routing does not build one per endpoint with
        // RequestDelegateFactory (compiled expression trees: about 50 ms of a cold start for all of them).
        // The metadata that factory would infer is added here: the handler method, which the OpenAPI
        // document reads, and the responses of the typed result union.
        var handler = ((Func<HttpContext, Task<TResult>>)HandleAsync).Method;
        var builder = routes.MapMethods(Route, [Method], (RequestDelegate)ExecuteAsync)
            .WithMetadata(handler)
            .WithName(Name)
            .WithSummary(Summary)
            .WithDescription(Description);
        builder.Add(endpoint => TResult.PopulateMetadata(handler, endpoint));
        if (RequestBody is { } body)
        {
            // Documented only: routing's content-type matching (Accepts) would answer 415 before the
            // handler's origin check runs, so the handler keeps answering a wrong Content-Type itself.
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

        foreach (var status in ProblemStatuses)
        {
            // A 400 may say what is wrong per field (errors); every other problem is plain.
            _ = status == StatusCodes.Status400BadRequest ? builder.ProducesValidationProblem() : builder.ProducesProblem(status);
        }

        return builder;
    }

    private async Task ExecuteAsync(HttpContext context) => await (await InvokeAsync(context)).ExecuteAsync(context);
}
