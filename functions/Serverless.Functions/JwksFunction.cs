using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Serverless.Auth.Http;

namespace Serverless.Functions;

public static class JwksFunction
{
    [Function("Jwks")]
    public static Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = AuthRoutes.Jwks)] HttpRequest request) =>
        AuthApi.Jwks.InvokeAsync(request.HttpContext);
}
