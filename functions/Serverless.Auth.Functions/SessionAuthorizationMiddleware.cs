using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.AspNetCore.Authorization;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Serverless.Auth.Protection;

namespace Serverless.Auth.Functions;

/// <summary>
/// Authenticates an HTTP-triggered function's request with the session scheme when the function method or its class
/// carries <see cref="AuthorizeAttribute"/> (a policy name or roles on it are honoured; <see cref="AllowAnonymousAttribute"/>
/// wins), through <see cref="FunctionContextExtensions.GetHttpContext"/>. Unauthenticated: the scheme's 401; a policy not
/// met: 403; the function does not run. Functions without <c>[Authorize]</c>, and non-HTTP triggers, pass untouched.
/// Register it with <see cref="FunctionsAuthExtensions.UseSessionAuthorization"/>.
/// </summary>
public sealed class SessionAuthorizationMiddleware(IAuthorizationPolicyProvider policies) : IFunctionsWorkerMiddleware
{
    // Per function: the policy its attributes combine to (null: anonymous). Attributes cannot change at run time.
    private readonly ConcurrentDictionary<string, Task<AuthorizationPolicy?>> policyByFunction = new();

    /// <inheritdoc />
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        if (context.GetHttpContext() is { } httpContext
            && await PolicyOf(context.FunctionDefinition) is { } policy
            && !await SessionAuthentication.AuthorizeAsync(httpContext, policy))
        {
            // The 401 or 403 is written to the response already; the function must not run.
            return;
        }

        await next(context);
    }

    private Task<AuthorizationPolicy?> PolicyOf(FunctionDefinition function) =>
        policyByFunction.GetOrAdd(function.Id, _ => PolicyOf(FunctionMethod.Find(function)));

    private async Task<AuthorizationPolicy?> PolicyOf(MethodInfo method)
    {
        var declared = method.GetCustomAttributes<Attribute>(inherit: true)
            .Concat(method.DeclaringType?.GetCustomAttributes<Attribute>(inherit: true) ?? [])
            .ToList();
        if (declared.OfType<IAllowAnonymous>().Any())
        {
            return null;
        }

        var authorize = declared.OfType<IAuthorizeData>().ToList();
        return authorize.Count == 0 ? null : await AuthorizationPolicy.CombineAsync(policies, authorize);
    }
}

/// <summary>The method a function definition runs, found as the worker finds it: the entry point is "full type name.method name".</summary>
internal static class FunctionMethod
{
    public static MethodInfo Find(FunctionDefinition function)
    {
        var entryPoint = function.EntryPoint;
        var dot = entryPoint.LastIndexOf('.');
        if (dot <= 0 || dot == entryPoint.Length - 1)
        {
            throw new InvalidOperationException($"Function {function.Name} has an entry point that is not \"type.method\": {entryPoint}.");
        }

        var typeName = entryPoint[..dot];
        var methodName = entryPoint[(dot + 1)..];
        var type = LoadedType(typeName) ?? AssemblyLoadContext.Default.LoadFromAssemblyPath(function.PathToAssembly).GetType(typeName);
        // Overloads of one name: the one marked [Function] is the function, as the worker decides.
        var candidates = type?.GetMethods().Where(method => method.Name == methodName).ToList() ?? [];
        return candidates.FirstOrDefault(method => method.IsDefined(typeof(FunctionAttribute), inherit: false))
            ?? candidates.FirstOrDefault()
            ?? throw new InvalidOperationException($"Function {function.Name}: no method {methodName} on {typeName}.");
    }

    private static Type? LoadedType(string typeName) =>
        AppDomain.CurrentDomain.GetAssemblies().Select(assembly => assembly.GetType(typeName)).FirstOrDefault(type => type is not null);
}
